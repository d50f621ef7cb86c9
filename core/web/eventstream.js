/* eventstream browser client, served by `eventstream serve` at /static/eventstream.js.
 *
 * ReconnectingEventSource: the API of the `reconnecting-eventsource` package that
 * django-eventstream's README uses, written for eventstream's streams:
 *
 *   const es = new ReconnectingEventSource('/events/?channel=test');
 *   es.addEventListener('message', (e) => console.log(e.data, e.lastEventId));
 *   es.addEventListener('stream-reset', (e) => reloadState());
 *   es.addEventListener('stream-error', (e) => showError(JSON.parse(e.data)));
 *   es.close();
 *
 * A stream that breaks is opened again after a jittered, growing delay (0.5 s doubling up
 * to `max_retry_time`, 3 s by default), resuming from the last id seen (`lastEventId` in
 * the query: EventSource cannot send headers). A `stream-error` is final: the client
 * stops, as the server would refuse to resume after it.
 *
 * Options: withCredentials, max_retry_time (ms), lastEventId (to start from), and
 * shared (all tabs of this origin share one stream: one tab holds it and relays its
 * events to the others over a BroadcastChannel, so that many tabs do not use up the
 * browser's six connections per host over HTTP/1.1).
 */
(function (global) {
  'use strict';

  const CONNECTING = 0;
  const OPEN = 1;
  const CLOSED = 2;
  const FIRST_RETRY = 500;
  const LEADER_TIMEOUT = 2000; // a shared stream's holder that stays silent this long is gone

  function withLastEventId(url, id) {
    const u = new URL(url, global.location ? global.location.href : undefined);
    u.searchParams.delete('lastEventId');
    if (id) u.searchParams.set('lastEventId', id);
    return u.toString();
  }

  class ReconnectingEventSource extends EventTarget {
    constructor(url, options) {
      super();
      options = options || {};
      this.url = new URL(url, global.location ? global.location.href : undefined).toString();
      this.withCredentials = !!options.withCredentials;
      this.max_retry_time = options.max_retry_time || 3000;
      this.lastEventId = options.lastEventId || '';
      this.readyState = CONNECTING;
      this.onopen = null;
      this.onmessage = null;
      this.onerror = null;
      this._types = new Set(['message', 'stream-reset', 'stream-error']);
      this._source = null;
      this._timer = null;
      this._retries = 0;
      if (options.shared && typeof global.BroadcastChannel === 'function') this._share();
      else this._connect();
    }

    addEventListener(type, listener, options) {
      if (!this._types.has(type) && type !== 'open' && type !== 'error') {
        this._want(type);
        if (this._channel && !this._leading) this._channel.postMessage({ kind: 'types', types: [type] });
      }
      super.addEventListener(type, listener, options);
    }

    close() {
      this.readyState = CLOSED;
      clearTimeout(this._timer);
      clearTimeout(this._watch);
      if (this._source) this._source.close();
      this._source = null;
      if (this._channel) {
        if (this._leading) this._channel.postMessage({ kind: 'resign' });
        this._channel.close();
        this._channel = null;
      }
    }

    _emit(type, init) {
      const event = type === 'open' || type === 'error' ? new Event(type) : new MessageEvent(type, init);
      this.dispatchEvent(event);
      const handler = this['on' + type];
      if (typeof handler === 'function') handler.call(this, event);
    }

    _connect() {
      if (this.readyState === CLOSED) return;
      const source = new EventSource(withLastEventId(this.url, this.lastEventId), {
        withCredentials: this.withCredentials,
      });
      this._source = source;
      source.onopen = () => {
        this._retries = 0;
        this._setState(OPEN);
      };
      source.onerror = () => {
        if (this._source !== source) return;
        // Our own backoff and resumption instead of the browser's fixed retry.
        source.close();
        this._source = null;
        this._setState(CONNECTING, true);
        const delay = Math.min(this.max_retry_time, FIRST_RETRY * 2 ** this._retries++);
        this._timer = setTimeout(() => this._connect(), delay / 2 + Math.random() * (delay / 2));
      };
      for (const type of this._types) this._listen(source, type);
    }

    _listen(source, type) {
      source.addEventListener(type, (e) => this._deliver(type, e.data, e.lastEventId, e.origin));
    }

    _deliver(type, data, lastEventId, origin) {
      if (this.readyState === CLOSED) return;
      if (lastEventId && lastEventId !== 'error') this.lastEventId = lastEventId;
      if (this._leading) this._channel.postMessage({ kind: 'event', type, data, lastEventId, origin });
      this._emit(type, { data, lastEventId, origin });
      if (type === 'stream-error') this.close();
    }

    _setState(state, failed) {
      const opened = state === OPEN && this.readyState !== OPEN;
      this.readyState = state;
      if (this._leading) this._channel.postMessage({ kind: 'state', state, failed: !!failed });
      if (opened) this._emit('open');
      if (failed) this._emit('error');
    }

    // One stream per URL for all tabs of the origin. The tab that holds it (the leader)
    // relays every event and says it is alive twice a second; the others listen and tell
    // it which event types they want. When the leader goes quiet (its tab closed), the
    // first follower to notice takes over and resumes from the last id it was given, so
    // nothing is lost in the hand-over.
    _share() {
      this._channel = new BroadcastChannel('eventstream ' + this.url);
      this._leading = false;
      this._id = Math.random();
      // A leader answers 'hello' at once; without an answer within a second, lead.
      this._heard = Date.now() - LEADER_TIMEOUT + 1000;
      this._channel.onmessage = (m) => {
        const msg = m.data;
        if (this._leading) {
          if (msg.kind === 'hello' || msg.kind === 'types') {
            for (const type of msg.types) this._want(type);
            if (msg.kind === 'hello') this._channel.postMessage({ kind: 'state', state: this.readyState });
          }
          // Two leaders (both took over at once): the one with the smaller id keeps it.
          if (msg.kind === 'alive' && msg.id < this._id) this._follow();
          return;
        }
        this._heard = Date.now();
        if (msg.kind === 'event') this._deliver(msg.type, msg.data, msg.lastEventId, msg.origin);
        else if (msg.kind === 'state' && msg.state !== this.readyState) this._setState(msg.state, msg.failed);
        else if (msg.kind === 'resign') this._heard = 0;
      };
      this._channel.postMessage({ kind: 'hello', types: [...this._types] });
      // A closing tab hands the stream over at once rather than after a silence.
      if (typeof global.addEventListener === 'function') global.addEventListener('pagehide', () => this.close());
      const watch = () => {
        if (this.readyState === CLOSED) return;
        if (this._leading) this._channel.postMessage({ kind: 'alive', id: this._id });
        else if (Date.now() - this._heard > LEADER_TIMEOUT) this._lead();
        this._watch = setTimeout(watch, 500);
      };
      watch();
    }

    _want(type) {
      if (this._types.has(type)) return;
      this._types.add(type);
      if (this._source) this._listen(this._source, type);
    }

    _lead() {
      this._leading = true;
      this._channel.postMessage({ kind: 'alive', id: this._id });
      this._connect();
    }

    _follow() {
      this._leading = false;
      clearTimeout(this._timer);
      if (this._source) this._source.close();
      this._source = null;
      this._heard = Date.now();
      this._channel.postMessage({ kind: 'types', types: [...this._types] });
    }
  }

  ReconnectingEventSource.CONNECTING = CONNECTING;
  ReconnectingEventSource.OPEN = OPEN;
  ReconnectingEventSource.CLOSED = CLOSED;

  global.ReconnectingEventSource = ReconnectingEventSource;
  if (typeof module === 'object' && module.exports) module.exports = ReconnectingEventSource;
})(typeof window !== 'undefined' ? window : globalThis);
