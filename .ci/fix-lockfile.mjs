#!/usr/bin/env node
/**
 * The npm registry this project's machines reach serves only this platform's builds of packages
 * with per-platform optional dependencies (@swc/core-*, @unrs/resolver-binding-*). `npm install`
 * then leaves the other platforms out of package-lock.json, and `npm ci` refuses the lock as out of
 * sync. This adds a lock entry (version, os, cpu, optional) for every optional dependency missing
 * from it; npm ci skips such entries on a non-matching platform without fetching them.
 * Run after `npm install` changes the lock:  node .ci/fix-lockfile.mjs
 */
import { readFileSync, writeFileSync } from 'node:fs';

const path = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(path, 'utf8'));
const packages = lock.packages;
const PLATFORM = /-(darwin|linux|win32|android|freebsd|openharmony|sunos|aix)-(arm64|x64|arm|ia32|ppc64|s390x|loong64|riscv64|mips64el)/;
let added = 0;
for (const [key, entry] of Object.entries({ ...packages })) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const at = `node_modules/${name}`;
    if (packages[at] || packages[`${key}/node_modules/${name}`]) continue;
    const m = PLATFORM.exec(name.split('/').pop());
    if (!m) continue;
    const add = { version, cpu: [m[2]], optional: true, os: [m[1]] };
    if (entry.dev) add.dev = true;
    if (/-gnu|gnueabihf/.test(name)) add.libc = ['glibc'];
    if (/musl/.test(name)) add.libc = ['musl'];
    packages[at] = add;
    added += 1;
  }
}
lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0)));
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: added ${added} platform entr${added === 1 ? 'y' : 'ies'}`);
