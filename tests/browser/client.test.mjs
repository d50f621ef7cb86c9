// The browser client (/static/eventstream.js) and the npm `reconnecting-eventsource`
// package that django-eventstream ships, in headless Chromium against the real server.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, launch, send, serve, tempDir, waitIn } from './support.mjs';

// The package's browser bundle (not in its "exports", so found by path).
const npmBundle = fileURLToPath(
  new URL('node_modules/reconnecting-eventsource/dist/ReconnectingEventSource.min.js', import.meta.url));
const clients = [
  { name: 'eventstream.js', load: (page) => page.addScriptTag({ url: '/static/eventstream.js' }) },
  {
    name: 'npm reconnecting-eventsource',
    load: (page) => page.addScriptTag({ path: npmBundle }),
  },
];

let browser;
before(async () => (browser = await launch()));
after(async () => browser && (await browser.close()));

// A page of the server's own origin with the client loaded, subscribed to `url`.
async function subscribe(server, client, url, options = {}) {
  const page = await browser.newPage();
  await page.goto(server.url + '/healthz');
  await client.load(page);
  await page.evaluate(
    ([url, options]) => {
      window.got = [];
      window.resets = [];
      window.errors = [];
      window.opens = 0;
      window.es = new ReconnectingEventSource(url, options);
      es.addEventListener('open', () => opens++);
      es.addEventListener('message', (e) => got.push(`${e.lastEventId} ${e.data}`));
      es.addEventListener('stream-reset', (e) => resets.push(`${e.lastEventId} ${e.data}`));
      es.addEventListener('stream-error', (e) => errors.push(JSON.parse(e.data).condition));
    },
    [url, { max_retry_time: 1000, ...options }],
  );
  return page;
}

for (const client of clients) {
  test(`${client.name}: events arrive, and after a server restart the page resumes without loss`, async () => {
    const port = await freePort();
    const tmp = tempDir();
    let server = await serve(port, ['--db', `${tmp.dir}/events.db`]);
    try {
      const page = await subscribe(server, client, '/events/?channel=test');
      await waitIn(page, () => opens === 1, null, 'the stream to open');
      send(server, 'test', { n: 1 });
      await waitIn(page, () => got.length === 1, null, 'the first event');

      await server.stop();
      server = await serve(port, ['--db', `${tmp.dir}/events.db`]);
      // Published before the page is back: it gets them from storage when it resumes.
      send(server, 'test', { n: 2 });
      send(server, 'test', { n: 3 });
      await waitIn(page, () => opens === 2, null, 'the page to reconnect');
      send(server, 'test', { n: 4 });
      await waitIn(page, () => got.length >= 4, null, 'all four events');
      assert.deepEqual(await page.evaluate(() => got), [
        'test:1 {"n": 1}', 'test:2 {"n": 2}', 'test:3 {"n": 3}', 'test:4 {"n": 4}',
      ]);
    } finally {
      await server.stop();
      tmp.remove();
    }
  });

  test(`${client.name}: stream-reset fires when the events after its position were trimmed`, async () => {
    const port = await freePort();
    const tmp = tempDir();
    const server = await serve(port, ['--db', `${tmp.dir}/events.db`, '--retention', '1s']);
    try {
      for (const n of [1, 2, 3]) send(server, 'test', { n });
      await new Promise((r) => setTimeout(r, 1500)); // all three expire and are trimmed
      const page = await subscribe(server, client, '/events/?channel=test', { lastEventId: 'test:1' });
      await waitIn(page, () => resets.length === 1, null, 'a stream-reset');
      assert.deepEqual(await page.evaluate(() => resets), ['test:3 {"channels": ["test"]}']);
      send(server, 'test', { n: 4 });
      await waitIn(page, () => got.length === 1, null, 'the next event');
      assert.deepEqual(await page.evaluate(() => got), ['test:4 {"n": 4}']);
    } finally {
      await server.stop();
      tmp.remove();
    }
  });
}

test('eventstream.js: a stream-error is final', async () => {
  const port = await freePort();
  const server = await serve(port, ['--storage', 'memory', '--private', '_*']);
  try {
    const page = await subscribe(server, clients[0], '/events/?channel=_secret');
    await waitIn(page, () => es.readyState === ReconnectingEventSource.CLOSED, null, 'the client to stop');
    // A reconnection would be refused again, with a second stream-error.
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(await page.evaluate(() => [errors, es.readyState, es.CLOSED]), [['forbidden'], 2, 2]);
  } finally {
    await server.stop();
  }
});
