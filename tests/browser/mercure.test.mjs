// A Mercure client in a real browser: EventSource on /.well-known/mercure with a topic
// selector, updates published with fetch (form-encoded, with a JWT), as a Symfony or API
// Platform front end does.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, test } from 'node:test';
import { freePort, launch, serve, waitIn } from './support.mjs';

const secret = '!ChangeThisMercureHubJWTSecretKey!';
const b64url = (text) => Buffer.from(text).toString('base64url');
function jwt(claims) {
  const unsigned = `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}
const publisher = jwt({ mercure: { publish: ['*'] } });
const books = 'https://example.com/books/{id}';

let browser;
let server;
before(async () => {
  browser = await launch();
  server = await serve(await freePort(), ['--storage', 'memory', '--mercure-publisher-jwt-key', secret, '--mercure-anonymous']);
});
after(async () => {
  if (server) await server.stop();
  if (browser) await browser.close();
});

// A page subscribed to `selector`; what it receives goes to `got`.
async function subscriber(context, selector) {
  const page = await context.newPage();
  await page.goto(server.url + '/healthz');
  await page.evaluate((selector) => {
    window.got = [];
    const url = new URL('/.well-known/mercure', location.origin);
    url.searchParams.append('topic', selector);
    window.es = new EventSource(url, { withCredentials: true });
    es.onmessage = (e) => got.push(`${e.lastEventId} ${e.data}`);
  }, selector);
  await waitIn(page, () => es.readyState === 1, null, 'the subscription to open');
  return page;
}

// Publishes from `page` with fetch, as the protocol's examples do.
function publish(page, fields) {
  return page.evaluate(
    async ({ fields, token }) => {
      const body = new URLSearchParams();
      for (const [name, value] of fields) body.append(name, value);
      const res = await fetch('/.well-known/mercure', { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body });
      return `${res.status} ${await res.text()}`;
    },
    { fields, token: publisher },
  );
}

test('a template subscriber gets public updates it matches, not private ones nor other topics', async () => {
  const context = await browser.newContext();
  const page = await subscriber(context, books);
  assert.match(await publish(page, [['topic', 'https://example.com/users/1'], ['data', 'no match']]), /^200 urn:uuid:/);
  assert.equal(await publish(page, [['topic', 'https://example.com/books/2'], ['data', 'hidden'], ['private', 'on'], ['id', 'p2']]), '200 p2');
  assert.equal(await publish(page, [['topic', 'https://example.com/books/1'], ['data', 'public'], ['id', 'b1']]), '200 b1');
  await waitIn(page, () => got.length === 1, null, 'the public update');
  // Anything else would have come before it: the hub keeps publish order.
  assert.deepEqual(await page.evaluate(() => got), ['b1 public']);
  await context.close();
});

test('a page with the subscriber cookie gets the private update', async () => {
  const context = await browser.newContext();
  const { hostname } = new URL(server.url);
  await context.addCookies([
    { name: 'mercureAuthorization', value: jwt({ mercure: { subscribe: [books] } }), domain: hostname, path: '/.well-known/mercure' },
  ]);
  const page = await subscriber(context, books);
  assert.equal(await publish(page, [['topic', 'https://example.com/books/3'], ['data', 'secret'], ['private', 'on'], ['id', 'p3']]), '200 p3');
  await waitIn(page, () => got.length === 1, null, 'the private update');
  assert.deepEqual(await page.evaluate(() => got), ['p3 secret']);
  await context.close();
});
