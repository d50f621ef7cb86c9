// `shared: true`: the tabs of one site share one stream, so that many open tabs do not use
// up the browser's six connections per host over HTTP/1.1.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { freePort, launch, send, serve, waitIn } from './support.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser && (await browser.close()));

const count = (server, what) => (server.log().match(what) || []).length;
const open = (server) => count(server, /stream open/g) - count(server, /stream closed/g);

// A tab listening for `types` on a shared stream; what it receives goes to `got`.
async function tab(context, server, types = ['chat']) {
  const page = await context.newPage();
  await page.goto(server.url + '/healthz');
  await page.addScriptTag({ url: '/static/eventstream.js' });
  await page.evaluate((types) => {
    window.got = [];
    window.es = new ReconnectingEventSource('/events/?channel=room', { shared: true });
    for (const type of types) es.addEventListener(type, (e) => got.push(`${e.lastEventId} ${e.data}`));
  }, types);
  return page;
}

test('three tabs share one stream, and another tab takes over when its holder closes', async () => {
  const port = await freePort();
  const server = await serve(port, ['--storage', 'memory']);
  try {
    const context = await browser.newContext();
    const first = await tab(context, server);
    await waitIn(first, () => es.readyState === 1, null, 'the first tab to open the stream');
    // The last tab also wants an event type the others do not listen for.
    const others = [await tab(context, server), await tab(context, server, ['chat', 'notice'])];
    for (const page of others) await waitIn(page, () => es.readyState === 1, null, 'a tab to hear the stream is open');

    send(server, 'room', { n: 1 }, 'chat');
    for (const page of [first, ...others]) await waitIn(page, () => got.length === 1, null, 'the event in every tab');
    assert.equal(count(server, /stream open/g), 1, server.log());

    // The holder goes; an event published meanwhile is not lost: the tab that takes over
    // resumes from the last id it was given.
    await first.close();
    send(server, 'room', { n: 2 }, 'chat');
    for (const page of others) await waitIn(page, () => got.length === 2, null, 'the event after the hand-over');
    // Two tabs may take over at the same moment; one of them then gives way.
    const deadline = Date.now() + 5000;
    while (open(server) !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(open(server), 1, server.log());
    for (const page of others)
      assert.deepEqual(await page.evaluate(() => got), ['room:1 {"n": 1}', 'room:2 {"n": 2}']);
    // Whichever tab holds the stream now relays the type only the last one wants.
    send(server, 'room', { n: 3 }, 'notice');
    await waitIn(others[1], () => got.length === 3, null, 'the notice');
    assert.equal(await others[1].evaluate(() => got[2]), 'room:3 {"n": 3}');
  } finally {
    await server.stop();
  }
});
