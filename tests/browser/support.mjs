// What the browser tests share: the real eventstream binary on a loopback port, publishing
// with `eventstream send`, and Debian's Chromium driven by playwright-core.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const bin = process.env.EVENTSTREAM_BIN || path.resolve('../../build/cmd/eventstream');
export const outDir = process.env.BROWSER_TEST_OUT || os.tmpdir();

export function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

export function tempDir() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'eventstream-browser-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

// `eventstream serve 127.0.0.1:<port> ...args`, resolved once it listens; over HTTPS when
// the args ask for TLS.
export function serve(port, args = []) {
  const scheme = args.some((a) => a.startsWith('--tls-')) ? 'https' : 'http';
  const child = spawn(bin, ['serve', `127.0.0.1:${port}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`eventstream did not start: ${stderr}`)), 10000);
    child.stdout.on('data', (d) => {
      stdout += d;
      if (!stdout.includes('listening on')) return;
      clearTimeout(timer);
      resolve({
        url: `${scheme}://127.0.0.1:${port}`,
        log: () => stderr,
        stop: () =>
          new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once('exit', done);
            child.kill('SIGTERM');
          }),
      });
    });
    child.once('exit', (code) => reject(new Error(`eventstream exited with ${code}: ${stderr}`)));
  });
}

export function send(server, channel, data, type = 'message') {
  // The tests' certificates are throwaway ones.
  const trust = server.url.startsWith('https:') ? ['--insecure'] : [];
  return execFileSync(bin, ['send', ...trust, '--url', server.url, channel, type, JSON.stringify(data)])
    .toString()
    .trim();
}

export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
}

// Polls `check` in the page until it returns something truthy (its value) or 10 s pass.
export async function waitIn(page, check, arg, what) {
  try {
    return (await page.waitForFunction(check, arg, { timeout: 10000, polling: 50 })).jsonValue();
  } catch (e) {
    throw new Error(`waited 10 s for ${what}: ${e.message}`);
  }
}
