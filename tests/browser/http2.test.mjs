// HTTPS and HTTP/2 in a real browser: a page opening 20 EventSources to one origin. Over
// HTTP/1.1 Chromium holds 6 connections per origin, so the 7th stream waits; over
// HTTP/2 all 20 share one connection.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { freePort, launch, send, serve, tempDir, waitIn } from './support.mjs';

const streams = 20;
let browser;
before(async () => (browser = await launch()));
after(async () => browser && (await browser.close()));

// A page of the server's origin with `streams` EventSources, one per channel c0..c19.
async function pageWithStreams(server) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true }); // a throwaway certificate
  const page = await context.newPage();
  await page.goto(server.url + '/healthz');
  await page.evaluate((n) => {
    window.opened = new Set();
    window.got = new Set();
    for (let i = 0; i < n; i++) {
      const es = new EventSource(`/events/?channel=c${i}`);
      es.onopen = () => opened.add(i);
      es.onmessage = () => got.add(i);
    }
  }, streams);
  return { page, close: () => context.close() };
}

function publishToAll(server) {
  for (let i = 0; i < streams; i++) send(server, `c${i}`, { n: i });
}

test('over HTTPS all 20 streams of a page open and get their event, on HTTP/2', async () => {
  const port = await freePort();
  const tmp = tempDir();
  const server = await serve(port, ['--tls-self-signed', '--db', `${tmp.dir}/events.db`]);
  try {
    const { page, close } = await pageWithStreams(server);
    await waitIn(page, (n) => opened.size === n, streams, `all ${streams} streams to open`);
    publishToAll(server);
    await waitIn(page, (n) => got.size === n, streams, `an event on each of the ${streams} streams`);
    const protocol = await page.evaluate(() => performance.getEntriesByType('navigation')[0].nextHopProtocol);
    assert.equal(protocol, 'h2');
    await close();
  } finally {
    await server.stop();
    tmp.remove();
  }
});

test('over plain HTTP/1.1 the same page gets only 6 of its 20 streams (the limit HTTP/2 lifts)', async () => {
  const port = await freePort();
  const tmp = tempDir();
  const server = await serve(port, ['--db', `${tmp.dir}/events.db`]);
  try {
    const { page, close } = await pageWithStreams(server);
    await waitIn(page, () => opened.size === 6, null, '6 streams to open');
    publishToAll(server);
    await waitIn(page, () => got.size === 6, null, 'the 6 open streams to get their event');
    await new Promise((r) => setTimeout(r, 1000)); // the other 14 stay queued in the browser
    assert.equal(await page.evaluate(() => opened.size), 6);
    const protocol = await page.evaluate(() => performance.getEntriesByType('navigation')[0].nextHopProtocol);
    assert.equal(protocol, 'http/1.1');
    await close();
  } finally {
    await server.stop();
    tmp.remove();
  }
});

test('the reconnecting client resumes over HTTP/2 after a restart, without loss', async () => {
  const port = await freePort();
  const tmp = tempDir();
  const args = ['--tls-self-signed', '--db', `${tmp.dir}/events.db`];
  let server = await serve(port, args);
  try {
    const context = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await context.newPage();
    await page.goto(server.url + '/healthz');
    await page.addScriptTag({ url: '/static/eventstream.js' });
    await page.evaluate(() => {
      window.got = [];
      window.opens = 0;
      window.es = new ReconnectingEventSource('/events/?channel=test', { max_retry_time: 1000 });
      es.addEventListener('open', () => opens++);
      es.addEventListener('message', (e) => got.push(`${e.lastEventId} ${e.data}`));
    });
    await waitIn(page, () => opens === 1, null, 'the stream to open');
    send(server, 'test', { n: 1 });
    await waitIn(page, () => got.length === 1, null, 'the first event');
    await server.stop();
    server = await serve(port, args);
    send(server, 'test', { n: 2 });
    await waitIn(page, () => opens === 2, null, 'the page to reconnect');
    send(server, 'test', { n: 3 });
    await waitIn(page, () => got.length >= 3, null, 'all three events');
    assert.deepEqual(await page.evaluate(() => got), ['test:1 {"n": 1}', 'test:2 {"n": 2}', 'test:3 {"n": 3}']);
    assert.equal(await page.evaluate(() => performance.getEntriesByType('navigation')[0].nextHopProtocol), 'h2');
    await context.close();
  } finally {
    await server.stop();
    tmp.remove();
  }
});
