// js-grip (npm @fanoutio/grip), unchanged, publishing to eventstream as if it were Pushpin
// (docs/protocol.md §19): what its Publisher sends from a GRIP_URL reaches eventstream's own
// streams, stored and numbered by eventstream. No browser: Node's fetch reads the stream.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Publisher } from '@fanoutio/grip';
import { freePort, serve, tempDir } from './support.mjs';

const key = 'js-grip-key';
let server, dir;
before(async () => {
  dir = tempDir();
  server = await serve(await freePort(), ['--publish-key', key, '--db', `${dir.dir}/events.db`]);
});
after(async () => {
  await server?.stop();
  dir?.remove();
});

// The events of a stream, read until `count` have arrived after stream-open.
async function events(target, count, headers = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 10000);
  const res = await fetch(server.url + target, { headers, signal: controller.signal });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const found = [];
  try {
    while (found.length < count + 1) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      let end;
      while ((end = text.indexOf('\n\n')) >= 0) {
        const block = text.slice(0, end);
        text = text.slice(end + 2);
        const event = { type: 'message', data: [], id: undefined };
        for (const line of block.split('\n')) {
          const [name, ...rest] = line.split(':');
          const value = rest.join(':').replace(/^ /, '');
          if (name === 'event') event.type = value;
          else if (name === 'data') event.data.push(value);
          else if (name === 'id') event.id = value;
        }
        if (event.data.length) found.push({ ...event, data: event.data.join('\n') });
      }
    }
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return found.slice(1); // after stream-open
}

test('a js-grip Publisher whose GRIP_URL names eventstream publishes to its streams', async () => {
  const received = events('/events/?channel=room%201', 2);
  await new Promise((r) => setTimeout(r, 300)); // the stream is open
  // As a Fanout realm: a JWT signed with the key.
  await new Publisher(`${server.url}/?iss=realm&key=${key}`).publishHttpStream(
    'events-room%201', 'event: note\ndata: {"n": 1}\n\n');
  // As Fastly's form: the key as a Bearer token.
  await new Publisher(`${server.url}/?key=${key}`).publishHttpStream('events-room%201', 'data: two\ndata: lines\n\n');
  const [first, second] = await received;
  assert.deepEqual(first, { type: 'note', data: '{"n": 1}', id: 'room%201:1' });
  assert.deepEqual(second, { type: 'message', data: 'two\nlines', id: 'room%201:2' });

  // Stored: a stream that resumes after the first gets the second again.
  const [replayed] = await events('/events/?channel=room%201', 1, { 'Last-Event-ID': 'room%201:1' });
  assert.deepEqual(replayed, second);
});

test('js-grip is told which formats eventstream does not serve, and a wrong key', async () => {
  const publisher = new Publisher(`${server.url}/?iss=realm&key=${key}`);
  await assert.rejects(publisher.publishHttpResponse('events-a', 'body'), (e) => {
    assert.match(String(e.message ?? e) + JSON.stringify(e.context ?? {}), /http-response/);
    return true;
  });
  await assert.rejects(new Publisher(`${server.url}/?iss=realm&key=wrong`).publishHttpStream('events-a', 'data: 1\n\n'));
});
