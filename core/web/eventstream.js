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
 * Options: withCredentials, max_retry_time (ms), lastEventId (to start from),
 * eventSourceClass (an EventSource polyfill; other options are passed to it), and shared
 * (all tabs of this origin share one stream: one tab holds it and relays its events to
 * the others over a BroadcastChannel, so that many tabs do not use up the browser's six
 * connections per host over HTTP/1.1).
 */
(function (global) {
  'use strict';

  const CONNECTING = 0;
  const OPEN = 1;
  const CLOSED = 2;
  const FIRST_RETRY = 500;
  const STABLE = 5000; // a stream open this long resets the backoff
  const OWN_OPTIONS = ['max_retry_time', 'lastEventId', 'eventSourceClass', 'shared'];

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
      this._Source = options.eventSourceClass || global.EventSource;
      this._configuration = {};
      for (const [key, value] of Object.entries(options))
        if (!OWN_OPTIONS.includes(key)) this._configuration[key] = value;
      this._types = new Set(['message', 'stream-reset', 'stream-error']);
      this._source = null;
      this._timer = null;
      this._retries = 0;
      this._openedAt = 0;
      const canShare = typeof global.BroadcastChannel === 'function' && global.navigator && global.navigator.locks;
      if (options.shared && canShare) this._share();
      else this._connect();
    }

    addEventListener(type, listener, options) {
      if (!this._types.has(type) && type !== 'open' && type !== 'error') {
        this._want(type);
        if (this._channel) this._channel.postMessage({ kind: 'types', types: [type] });
      }
      super.addEventListener(type, listener, options);
    }

    close() {
      this.readyState = CLOSED;
      clearTimeout(this._timer);
      if (this._source) this._source.close();
      this._source = null;
      if (this._channel) {
        this._channel.close();
        this._channel = null;
      }
      if (this._release) this._release(); // the next tab takes the stream over
    }

    _emit(type, init) {
      const event = type === 'open' || type === 'error' ? new Event(type) : new MessageEvent(type, init);
      this.dispatchEvent(event);
      const handler = this['on' + type];
      if (typeof handler === 'function') handler.call(this, event);
    }

    _want(type) {
      if (this._types.has(type)) return;
      this._types.add(type);
      if (this._source) this._listen(this._source, type);
    }

    _connect() {
      if (this.readyState === CLOSED) return;
      const source = new this._Source(withLastEventId(this.url, this.lastEventId), this._configuration);
      this._source = source;
      source.onopen = () => {
        this._openedAt = Date.now();
        this._setState(OPEN);
      };
      source.onerror = () => {
        if (this._source !== source) return;
        // Our own backoff and resumption instead of the browser's fixed retry. A stream
        // that was open a while starts the backoff afresh; one that keeps closing at once
        // does not hammer the server.
        source.close();
        this._source = null;
        if (this._openedAt && Date.now() - this._openedAt > STABLE) this._retries = 0;
        this._openedAt = 0;
        // 'error' once per outage, as EventSource and reconnecting-eventsource do.
        this._setState(CONNECTING, this.readyState === OPEN || this._retries === 0);
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
      if (this._leading) this._announce(failed);
      if (opened) this._emit('open');
      if (failed) this._emit('error');
    }

    _announce(failed) {
      this._channel.postMessage({ kind: 'state', state: this.readyState, failed: !!failed, lastEventId: this.lastEventId });
    }

    // One stream per URL for all tabs of the origin. The tab holding a Web Lock named
    // after the URL (the leader) opens the stream and relays its events; the others
    // listen, and every tab tells all the others which event types it wants. When the
    // leader's tab closes, the browser hands the lock to a waiting tab, which opens the
    // stream from the last id it was given: nothing is lost in the hand-over, and unlike
    // heartbeats, a lock survives the timer throttling of background tabs.
    _share() {
      this._channel = new BroadcastChannel('eventstream ' + this.url);
      this._leading = false;
      this._channel.onmessage = (m) => {
        const msg = m.data;
        if (msg.kind === 'hello' || msg.kind === 'types') for (const type of msg.types) this._want(type);
        if (this._leading) {
          if (msg.kind === 'hello') this._announce(false);
          return;
        }
        if (msg.kind === 'event') {
          this._deliver(msg.type, msg.data, msg.lastEventId, msg.origin);
        } else if (msg.kind === 'state') {
          if (msg.lastEventId) this.lastEventId = msg.lastEventId;
          if (msg.state !== this.readyState) this._setState(msg.state, msg.failed);
        }
      };
      this._channel.postMessage({ kind: 'hello', types: [...this._types] });
      global.navigator.locks.request('eventstream ' + this.url, () => {
        if (this.readyState === CLOSED) return undefined; // closed while waiting: pass it on
        this._leading = true;
        this._connect();
        return new Promise((resolve) => (this._release = resolve));
      });
    }
  }

  for (const [name, value] of Object.entries({ CONNECTING, OPEN, CLOSED })) {
    ReconnectingEventSource[name] = value;
    ReconnectingEventSource.prototype[name] = value;
  }

  global.ReconnectingEventSource = ReconnectingEventSource;
  if (typeof module === 'object' && module.exports) module.exports = ReconnectingEventSource;
})(typeof window !== 'undefined' ? window : globalThis);
