/**
 * The local runtime in a process of its own, for tests that kill it (SIGKILL) and start another
 * on the same tables. Reads its settings from the environment and prints one JSON line with its
 * URL once it listens.
 */
import { startLocalRuntime } from '../../infra/local/runtime';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

startLocalRuntime({
  dynamoEndpoint: env('TESSERA_TEST_DYNAMODB_ENDPOINT'),
  tablePrefix: env('TESSERA_TEST_TABLE_PREFIX'),
  masterKey: env('TESSERA_TEST_MASTER_KEY'),
  operatorKey: env('TESSERA_TEST_OPERATOR_KEY'),
  exportDir: env('TESSERA_TEST_EXPORT_DIR'),
  logLevel: 'SILENT',
})
  .then((runtime) => process.stdout.write(`${JSON.stringify({ url: runtime.url })}\n`))
  .catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
