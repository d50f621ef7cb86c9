// The live viewer: a browser opening a stream URL gets a page that shows the stream.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { freePort, launch, outDir, send, serve, waitIn } from './support.mjs';

let browser;
before(async () => (browser = await launch()));
after(async () => browser && (await browser.close()));

test('a browser opening a stream URL sees its events arrive', async () => {
  const port = await freePort();
  const server = await serve(port, ['--storage', 'memory', '--keep-alive', '1']);
  try {
    const page = await browser.newPage({ viewport: { width: 900, height: 560 } });
    await page.goto(`${server.url}/events/?channel=room&channel=news`);
    assert.equal(await page.title(), 'eventstream viewer');
    await waitIn(page, () => document.getElementById('state').textContent === 'open', null, 'the viewer to connect');

    send(server, 'room', { user: 'ada', text: 'hello, world' }, 'chat');
    send(server, 'news', { headline: 'eventstream 0.1 ships', tags: ['sse', 'c++'] });
    send(server, 'room', { user: 'grace', text: '50% done' }, 'chat');
    await waitIn(page, () => document.querySelectorAll('.event').length === 3, null, 'three events on the page');
    const shown = await page.evaluate(() =>
      [...document.querySelectorAll('.event')].map((e) => [e.querySelector('.type').textContent,
                                                           e.querySelector('.id').textContent,
                                                           JSON.parse(e.querySelector('pre').textContent)]));
    assert.deepEqual(shown, [
      ['chat', 'id: room:1,news:0', { user: 'ada', text: 'hello, world' }],
      ['message', 'id: room:1,news:1', { headline: 'eventstream 0.1 ships', tags: ['sse', 'c++'] }],
      ['chat', 'id: room:2,news:1', { user: 'grace', text: '50% done' }],
    ]);
    await waitIn(page, () => /keep-alive/.test(document.getElementById('summary').textContent), null, 'a keep-alive');
    const file = path.join(outDir, 'viewer.png');
    await page.screenshot({ path: file });
    console.log(`# viewer screenshot: ${file}`);
  } finally {
    await server.stop();
  }
});
