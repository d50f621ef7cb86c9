// examples/django, run the way its README says (one command), driven in Chromium: the
// Django session and token cookies reach eventstream, Django's webhooks decide, Django's
// views publish and revoke.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, launch, waitIn } from './support.mjs';

const example = fileURLToPath(new URL('../../examples/django/', import.meta.url));
let browser;
before(async () => (browser = await launch()));
after(async () => browser && (await browser.close()));

const logHas = (text) => document.getElementById('log').textContent.includes(text);
const log = (page) => page.evaluate(() => document.getElementById('log').textContent);

// Fills the page's form and sends it through Django's view.
async function say(page, channel, text, { skipMe = false } = {}) {
  await page.fill('#send [name=channel]', channel);
  await page.fill('#send [name=text]', text);
  await page.setChecked('#send [name=skip_me]', skipMe);
  await page.click('#send button');
  await waitIn(page, () => document.querySelector('#send [name=text]').value === '', null, `Django to send '${text}'`);
}

test('the Django example: sessions, permissions, revocation and channel mapping', async () => {
  const env = { ...process.env, EVENTS_PORT: String(await freePort()), DJANGO_PORT: String(await freePort()) };
  const run = spawn('bash', [example + 'run.sh'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let logs = '';
  run.stderr.on('data', (d) => (logs += d));
  try {
    const password = await new Promise((resolve, reject) => {
      let out = '';
      run.stdout.on('data', (d) => {
        const said = (out += d).match(/log in as demo, password (\S+)\n/);
        if (said) resolve(said[1]);
      });
      run.once('exit', (code) => reject(new Error(`run.sh exited with ${code}: ${out}`)));
    });
    const app = `http://127.0.0.1:${env.DJANGO_PORT}`;

    // Anonymous: the private channel is refused, the lobby streams what the mapping chose.
    const stranger = await browser.newPage();
    await stranger.goto(app + '/');
    await waitIn(stranger, logHas, 'stream ended (forbidden): Permission denied to channels: _vip', 'the refusal');
    await stranger.goto(app + '/?stream=/rooms/Bad%20Room/events/');
    await waitIn(stranger, logHas, "stream ended (forbidden): There is no room 'Bad Room'", "the mapping's refusal");
    await stranger.goto(app + '/?stream=/rooms/lobby/events/');
    await waitIn(stranger, logHas, 'connected', 'the anonymous lobby stream');

    // Logged in with Django's own login view: the session cookie, and the token cookie the
    // page sets, reach eventstream.
    const member = await browser.newContext();
    const page = await member.newPage();
    await page.goto(app + '/login/');
    await page.fill('[name=username]', 'demo');
    await page.fill('[name=password]', password);
    await Promise.all([page.waitForURL(app + '/'), page.click('button[type=submit]')]);
    await waitIn(page, logHas, 'connected', 'the member stream');
    await say(page, '_vip', 'members only');
    await waitIn(page, logHas, '_vip demo: members only', 'the private event');
    await say(page, 'news', 'not for me', { skipMe: true });
    await say(page, 'news', 'for me');
    await waitIn(page, logHas, 'news demo: for me', 'the public event');
    assert.doesNotMatch(await log(page), /not for me/, 'skip_users kept the sender from the event');

    // The token view names the logged-in user.
    const { token } = await page.evaluate(() => fetch('/token/').then((r) => r.json()));
    assert.equal(JSON.parse(Buffer.from(token.split('.')[1], 'base64url')).sub, '1');

    // The lobby's channels, chosen by Django: the room for everyone, the member's grants too.
    const lobby = await member.newPage();
    await lobby.goto(app + '/?stream=/rooms/lobby/events/');
    await waitIn(lobby, logHas, 'connected', 'the member lobby stream');
    await say(lobby, '_vip', 'secret in the lobby');
    await say(lobby, 'room-lobby', 'hello lobby');
    await waitIn(lobby, logHas, 'room-lobby demo: hello lobby', 'the room event');
    await waitIn(stranger, logHas, 'room-lobby demo: hello lobby', 'the room event, anonymously');
    assert.match(await log(lobby), /_vip demo: secret in the lobby/);
    assert.doesNotMatch(await log(stranger), /secret/, 'the mapping gave anonymous users no private channel');

    // Revoking the grant in Django ends the member's streams on it, and only those.
    await page.click('.revoke button');
    for (const p of [page, lobby])
      await waitIn(p, logHas, 'stream ended (forbidden): Permission denied to channels: _vip', 'the kick');
    await say(page, 'room-lobby', 'still here');
    await waitIn(stranger, logHas, 'room-lobby demo: still here', 'the anonymous stream to go on');
    await member.close();
  } catch (e) {
    e.message += `\nwhat run.sh logged, the end:\n${logs.slice(-6000)}`;
    throw e;
  } finally {
    if (run.exitCode === null) process.kill(-run.pid, 'SIGTERM'); // run.sh and what it started
  }
});
