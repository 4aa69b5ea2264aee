import { pino, type Logger } from 'pino';

export type { Logger };

export interface LogConfig {
  level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export function createLogger(config: LogConfig): Logger {
  return pino({ level: config.level, base: undefined });
}
