/**
 * All configuration comes from environment variables (listed in the README). Read once, here.
 */
export interface Config {
  port: number;
  host: string;
  databaseUrl?: string;
  dataDir: string;
  adminToken?: string;
  adminPassword?: string;
  logLevel: string;
  bodyLimit: number;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, not "${env.PORT}"`);
  return {
    port,
    host: env.HOST ?? '127.0.0.1',
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: env.LOUPE_DATA_DIR ?? './.loupe/data',
    adminToken: env.LOUPE_ADMIN_TOKEN || undefined,
    adminPassword: env.LOUPE_ADMIN_PASSWORD || undefined,
    logLevel: env.LOG_LEVEL ?? 'info',
    bodyLimit: Number(env.LOUPE_BODY_LIMIT ?? 1024 * 1024),
  };
}
