import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { cleanEnv, runCli, transcript } from './helpers.js';

const CANARY = {
  first: 'CANARY-cli-first-value-0001',
  second: 'CANARY-cli-second-value-0002',
  third: 'CANARY-cli-third-value-0003',
  argv: 'CANARY-cli-argv-value-0004',
  importA: 'CANARY-cli-import-a-0005',
  importB: 'CANARY-cli-import-b with spaces 0006',
  importC: 'CANARY-cli-import-c-0007',
  importD: 'CANARY-cli-import-d-0008',
};

describe('standin secrets (CLI against a real server)', () => {
  let srv: TestServer;
  let env: Record<string, string>;
  const cli = (args: string[], input?: string) => runCli(args, { env, input });

  before(async () => {
    srv = await startTestServer({ proxy: false });
    env = cleanEnv({ STANDIN_URL: srv.apiUrl, STANDIN_API_KEY: srv.adminKey });
  });
  after(async () => {
    await srv?.stop();
  });

  it('adds a secret with the value from stdin and prints metadata only', async () => {
    const r = await cli(['secrets', 'add', 'gh', '--provider', 'github', '--description', 'CI token', '--json'], CANARY.first + '\n');
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.name, 'gh');
    assert.equal(s.version, 1);
    assert.equal(s.provider, 'github');
    assert.ok(s.hosts.length > 0);
    assert.equal(s.preview, CANARY.first.slice(-4), 'the trailing newline from stdin is not part of the value');
  });

  it('refuses a second add of the same name with exit 5, and rotates with --rotate-if-exists', async () => {
    const dup = await cli(['secrets', 'add', 'gh'], CANARY.second);
    assert.equal(dup.code, 5, dup.stderr);
    assert.match(dup.stderr, /conflict, HTTP 409/);
    const r = await cli(['secrets', 'add', 'gh', '--rotate-if-exists'], CANARY.second);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Rotated secret gh \(tenant\), version 2/);
  });

  it('never takes the value from argv', async () => {
    const extra = await cli(['secrets', 'add', 'other', CANARY.argv]);
    assert.equal(extra.code, 2);
    assert.match(extra.stderr, /never taken from the command line/);
    const flag = await cli(['secrets', 'add', 'other', `--value=${CANARY.argv}`]);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /unknown option '--value=…'/);
    const rotate = await cli(['secrets', 'rotate', 'gh', CANARY.argv]);
    assert.equal(rotate.code, 2);
    const empty = await cli(['secrets', 'add', 'other'], '');
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /no value given/);
    const multi = await cli(['secrets', 'add', 'other'], 'a\nb');
    assert.equal(multi.code, 2);
    assert.match(multi.stderr, /line break/);
    assert.equal((await srv.api('GET', '/v1/secrets/other')).status, 404);
  });

  it('lists secrets as an aligned table and as JSON', async () => {
    const human = await cli(['secrets', 'ls']);
    assert.equal(human.code, 0, human.stderr);
    const [header, row] = human.stdout.trimEnd().split('\n');
    assert.match(header!, /^NAME\s+SCOPE\s+TYPE\s+PROVIDER\s+HOSTS\s+VERSION\s+UPDATED\s+LAST USED$/);
    assert.match(row!, /^gh\s+tenant\s+token\s+github\s+\S+\s+2\s+/);
    assert.equal(header!.indexOf('SCOPE'), row!.indexOf('tenant'), 'columns line up');
    const json = await cli(['--json', 'secrets', 'ls', '--provider', 'github']);
    assert.equal(json.code, 0);
    const list = JSON.parse(json.stdout);
    assert.deepEqual(list.map((s: { name: string }) => s.name), ['gh']);
    const none = await cli(['secrets', 'ls', '--json', '--prefix', 'zzz']);
    assert.deepEqual(JSON.parse(none.stdout), []);
  });

  it('shows, rotates, lists versions and explains', async () => {
    const show = await cli(['secrets', 'show', 'gh']);
    assert.equal(show.code, 0);
    assert.match(show.stdout, /^id:\s+sec_/m);
    assert.match(show.stdout, /^description:\s+CI token$/m);
    assert.match(show.stdout, /^preview:\s+…0002$/m);

    const rot = await cli(['secrets', 'rotate', 'gh', '--json'], CANARY.third);
    assert.equal(rot.code, 0, rot.stderr);
    assert.equal(JSON.parse(rot.stdout).version, 3);

    const versions = await cli(['secrets', 'versions', 'gh', '--json']);
    assert.deepEqual(JSON.parse(versions.stdout).map((v: { version: number }) => v.version), [3, 2, 1]);
    const vHuman = await cli(['secrets', 'versions', 'gh']);
    assert.match(vHuman.stdout, /^VERSION\s+PREVIEW\s+CREATED/);

    const ex = await cli(['secrets', 'explain', 'gh', '--json', '--user', 'usr_nobody']);
    assert.equal(ex.code, 0);
    const e = JSON.parse(ex.stdout);
    assert.equal(e.resolved.scope, 'tenant');
    assert.equal(e.steps.find((s: { scope: string }) => s.scope === 'user').status, 'miss');
    const exHuman = await cli(['secrets', 'explain', 'gh']);
    assert.match(exHuman.stdout, /^tenant\s+-\s+hit\s+sec_/m);
    const missing = await cli(['secrets', 'explain', 'nothing-here']);
    assert.equal(missing.code, 4);
    assert.match(missing.stdout, /no secret named "nothing-here"/);
  });

  it('updates metadata, and show of an unknown name exits 4', async () => {
    const up = await cli(['secrets', 'update', 'gh', '--host', 'api.example.com', '--host', '*.example.org', '--json']);
    assert.equal(up.code, 0, up.stderr);
    assert.deepEqual(JSON.parse(up.stdout).hosts.sort(), ['*.example.org', 'api.example.com']);
    const nf = await cli(['secrets', 'show', 'does-not-exist']);
    assert.equal(nf.code, 4);
    assert.match(nf.stderr, /not_found, HTTP 404, request /);
    const nfJson = await cli(['secrets', 'show', 'does-not-exist', '--json']);
    assert.equal(nfJson.code, 4);
    assert.equal(nfJson.stdout, '');
    const err = JSON.parse(nfJson.stderr);
    assert.equal(err.error.code, 'not_found');
    assert.equal(err.error.status, 404);
    assert.ok(err.error.requestId);
  });

  it('imports a .env file, reporting created, rotated and failed entries without values', async () => {
    const file = join(env.HOME!, 'app.env');
    writeFileSync(
      file,
      [
        '# a comment',
        `export IMPORT_A=${CANARY.importA}`,
        `IMPORT_B="${CANARY.importB}" # trailing comment`,
        `IMPORT_C='${CANARY.importC}'`,
        'this line is broken',
        'EMPTY=',
        `gh=${CANARY.importD}`,
        '',
      ].join('\n'),
    );
    const r = await cli(['secrets', 'import', file, '--json']);
    assert.equal(r.code, 1, 'some entries failed');
    const res = JSON.parse(r.stdout);
    assert.deepEqual(res.created.map((c: { name: string }) => c.name).sort(), ['IMPORT_A', 'IMPORT_B', 'IMPORT_C']);
    assert.deepEqual(res.failed.map((f: { line: number }) => f.line).sort(), [5, 6, 7]);
    assert.equal(res.failed.find((f: { line: number }) => f.line === 7).name, 'gh');
    assert.match(res.failed.find((f: { line: number }) => f.line === 7).error, /exists/);
    const b = await srv.api('GET', '/v1/secrets/IMPORT_B');
    assert.equal(b.body.preview, CANARY.importB.slice(-4), 'quotes and the comment are not part of the value');

    writeFileSync(file, `IMPORT_A=${CANARY.importD}\nIMPORT_NEW=${CANARY.importC}\n`);
    const again = await cli(['secrets', 'import', file, '--rotate-if-exists']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^IMPORT_A\s+1\s+rotated \(version 2\)$/m);
    assert.match(again.stdout, /^IMPORT_NEW\s+2\s+created \(version 1\)$/m);
    assert.match(again.stderr, /1 secret created, 1 rotated, 0 failed/);

    const stdin = await cli(['secrets', 'import', '-', '--json'], `FROM_STDIN=${CANARY.importA}\n`);
    assert.equal(stdin.code, 0, stdin.stderr);
    assert.equal(JSON.parse(stdin.stdout).created[0].name, 'FROM_STDIN');
  });

  it('deletes only with --yes when stdin is not a terminal', async () => {
    const refused = await cli(['secrets', 'rm', 'IMPORT_C']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--yes/);
    const rm = await cli(['secrets', 'rm', 'IMPORT_C', '--yes']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.match(rm.stdout, /^Deleted secret IMPORT_C \(tenant\)/);
    assert.equal((await cli(['secrets', 'show', 'IMPORT_C'])).code, 4);
  });

  it('no canary value appears in any CLI output or in the server log', () => {
    const all = transcript.join('\n') + srv.logs();
    for (const v of Object.values(CANARY)) {
      assert.ok(!all.includes(v), `a value leaked: ${v.slice(0, 18)}…`);
      assert.ok(!all.includes(Buffer.from(v).toString('base64')), 'a base64 value leaked');
    }
  });
});
