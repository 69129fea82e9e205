// Runs our bootstrap under @vercel/fun, a local Lambda emulator from npm that
// speaks the Runtime API (runtime "provided"), and prints one JSON line per
// invocation. Usage: node fun_invoke.mjs FUNCTION_DIR EVENT_FILE COUNT
import { createFunction } from '@vercel/fun';
import fs from 'fs';

const [dir, eventFile, count] = process.argv.slice(2);
const event = JSON.parse(fs.readFileSync(eventFile, 'utf8').replace(/^\uFEFF/, ''));
const fn = await createFunction({
  Code: { Directory: dir },
  Handler: 'handler',
  Runtime: 'provided',
  MemorySize: 256,
  Environment: { Variables: {} },
});
try {
  for (let i = 0; i < Number(count); i++) {
    console.log(JSON.stringify(await fn(event)));
  }
} finally {
  await fn.destroy();
}
