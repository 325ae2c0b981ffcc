export * from './schema.ts';
export * from './priority.ts';
export * from './event-table.ts';
export * from './flag-tables.ts';
