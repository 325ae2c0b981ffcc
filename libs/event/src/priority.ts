/**
 * Falco's priorities, most severe first. The numeric level orders them (0 = Emergency); `name` is the capitalised
 * spelling Falco puts in alerts; `slug` is the lowercased form used in subjects.
 */
export const PRIORITIES = [
  'Emergency',
  'Alert',
  'Critical',
  'Error',
  'Warning',
  'Notice',
  'Informational',
  'Debug',
] as const;

export type Priority = (typeof PRIORITIES)[number];

const BY_LOWER = new Map<string, Priority>(PRIORITIES.map((p) => [p.toLowerCase(), p]));
BY_LOWER.set('info', 'Informational');

/** Case-insensitive, `info` = `informational`, as Falco reads rule files. Returns undefined for anything else. */
export function parsePriority(text: string): Priority | undefined {
  return BY_LOWER.get(text.trim().toLowerCase());
}

/** 0 for Emergency … 7 for Debug. */
export function priorityLevel(p: Priority): number {
  return PRIORITIES.indexOf(p);
}

/** True when `p` is at least as severe as `min`. */
export function atLeast(p: Priority, min: Priority): boolean {
  return priorityLevel(p) <= priorityLevel(min);
}
