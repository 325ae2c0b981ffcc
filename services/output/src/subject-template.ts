/**
 * The alert subject template, configurable as falcosidekick's `nats.subjecttemplate` is: `<priority>`, `<rule>`,
 * `<source>` and `<hostname>` are replaced by the alert's values made subject-safe (priority lowercased, rule
 * slugged as falcosidekick does, the others as subject tokens). The default renders exactly `alertSubject()`.
 */
import type { Alert } from '@peregrine/event';
import { ruleSlug, subjectToken } from '@peregrine/bus';
import { OutputConfigError } from './errors.ts';

export const DEFAULT_SUBJECT_TEMPLATE = 'falco.<priority>.<rule>';

export type SubjectRenderer = (alert: Pick<Alert, 'priority' | 'rule' | 'source' | 'hostname'>) => string;

const TOKEN = /<(priority|rule|source|hostname)>/g;

export function compileSubjectTemplate(template: string = DEFAULT_SUBJECT_TEMPLATE): SubjectRenderer {
  const bad = template.replace(TOKEN, 'x');
  if (bad.length === 0 || /[\s*>]/.test(bad) || bad.startsWith('.') || bad.endsWith('.') || bad.includes('..')) {
    throw new OutputConfigError('subjectTemplate', `${JSON.stringify(template)} does not render a valid NATS subject`);
  }
  const parts: Array<string | ((a: Parameters<SubjectRenderer>[0]) => string)> = [];
  let last = 0;
  for (const m of template.matchAll(TOKEN)) {
    parts.push(template.slice(last, m.index));
    const name = m[1] as 'priority' | 'rule' | 'source' | 'hostname';
    parts.push(
      name === 'priority' ? (a) => subjectToken(a.priority.toLowerCase())
        : name === 'rule' ? (a) => ruleSlug(a.rule) || '_'
        : (a) => subjectToken(a[name]),
    );
    last = m.index! + m[0].length;
  }
  parts.push(template.slice(last));
  return (alert) => {
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : p(alert);
    return out;
  };
}
