// examples/chat, run the way its README says: one command, then say.sh from a shell.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, launch, waitIn } from './support.mjs';

const example = fileURLToPath(new URL('../../examples/chat/', import.meta.url));
let browser;
before(async () => (browser = await launch()));
after(async () => browser && (await browser.close()));

test('the chat example: messages said from a shell appear in the page', async () => {
  const env = { ...process.env, EVENTS_PORT: String(await freePort()), PAGE_PORT: String(await freePort()) };
  const run = spawn('bash', [example + 'run.sh'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  try {
    await new Promise((resolve, reject) => {
      let out = '';
      run.stdout.on('data', (d) => (out += d) && out.includes('say.sh') && resolve());
      run.once('exit', (code) => reject(new Error(`run.sh exited with ${code}`)));
    });
    const page = await browser.newPage();
    for (let i = 0; ; i++) { // the page server may need a moment
      try {
        await page.goto(`http://127.0.0.1:${env.PAGE_PORT}/?events=http://127.0.0.1:${env.EVENTS_PORT}`);
        break;
      } catch (e) {
        if (i === 20) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const log = () => document.getElementById('log').textContent;
    await waitIn(page, () => document.getElementById('log').textContent.includes('connected'), null, 'the chat to connect');
    execFileSync('bash', [example + 'say.sh', 'ada', 'hello, "world"'], { env });
    await waitIn(page, () => document.getElementById('log').textContent.includes('ada: hello, "world"'), null,
                 'the message');
    assert.equal(await page.evaluate(log), 'connectedada: hello, "world"');
  } finally {
    process.kill(-run.pid, 'SIGTERM'); // run.sh and what it started
  }
});
