import { Writable } from 'node:stream';
import pino from 'pino';
import { Scrubber } from '../src/log/scrubber.js';
import { createLogger } from '../src/log/logger.js';
import { F, REQUEST_LINE } from '../src/proxy/log-fields.js';
const scrubber = new Scrubber();
for (let i = 0; i < 10; i++) scrubber.register(`sk-bench-${i}-${'x'.repeat(40)}`);
const line = () => ({
  [F.requestId]: 'prx_k3j4h5g6f7d8000042', [F.tenant]: 'ten_8f7d6s5a4q3w2e1r', [F.sandbox]: 'sbx_1q2w3e4r5t6y7u8i', [F.method]: 'GET', [F.scheme]: 'https',
  [F.host]: 'api.openai.com', [F.port]: 443, [F.path]: '/v1/models', [F.status]: 200, [F.decision]: 'allowed', [F.code]: null, [F.reason]: null,
  [F.secrets]: ['OPENAI_API_KEY=openai@v1'], [F.bytesIn]: 60, [F.bytesOut]: 0, [F.ms]: 0.42,
});
function run(name: string, log: pino.Logger) {
  const req = log.child({}, { redact: { paths: [] } });
  for (let i = 0; i < 20000; i++) req.info(line(), REQUEST_LINE);
  const n = 100000; const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) req.info(line(), REQUEST_LINE);
  console.log(name, (Number(process.hrtime.bigint() - t0) / 1e3 / n).toFixed(2), 'µs');
}
run('writable sink  ', createLogger({ level: 'info', scrubber, destination: new Writable({ write: (_c, _e, cb) => cb() }) }));
run('sonic /dev/null', createLogger({ level: 'info', scrubber, destination: pino.destination({ dest: '/dev/null', sync: false }) }));
run('no scrub       ', pino({ level: 'info', base: { service: 'standin' } }, pino.destination({ dest: '/dev/null', sync: false })));
