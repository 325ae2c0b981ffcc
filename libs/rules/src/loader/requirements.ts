/**
 * `required_engine_version` and `required_plugin_versions`. We implement Falco's rule language of engine version
 * ENGINE_VERSION, and our built-in fields stand in for the plugins that Falco gets container and Kubernetes metadata
 * from. Any other plugin is an error: its fields would be missing.
 */
import { ItemError } from './yaml-values.ts';

export const ENGINE_VERSION = '0.57.0';

/** Plugins whose fields we provide natively. */
export const BUILTIN_PLUGINS: ReadonlySet<string> = new Set(['container', 'k8smeta']);

type Semver = [number, number, number];

function parseSemver(text: string): Semver | null {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
}

export function checkEngineVersion(text: string, at: number): void {
  // A bare integer is the legacy form: N means 0.N.0.
  const required = /^\d+$/.test(text.trim()) ? ([0, Number(text), 0] as Semver) : parseSemver(text);
  if (!required) throw new ItemError(`Unable to parse engine version '${text}' as a semver string. Expected "x.y.z" semver format.`, at);
  const ours = parseSemver(ENGINE_VERSION)!;
  const compatible =
    ours[0] === required[0] && (ours[1] > required[1] || (ours[1] === required[1] && ours[2] >= required[2]));
  if (!compatible) {
    throw new ItemError(`Rules require engine version ${required.join('.')}, but engine version is ${ENGINE_VERSION}`, at);
  }
}

export function checkPluginRequirement(alternatives: { name: string; version: string }[], at: number): void {
  const seen = new Set<string>();
  for (const a of alternatives) {
    if (!parseSemver(a.version)) throw new ItemError(`Invalid required version '${a.version}' for plugin '${a.name}'`, at);
    if (seen.has(a.name)) throw new ItemError(`Defined multiple alternative version requirements for plugin '${a.name}'`, at);
    seen.add(a.name);
  }
  if (!alternatives.some((a) => BUILTIN_PLUGINS.has(a.name))) {
    const names = alternatives.map((a) => `'${a.name}'`).join(' or ');
    throw new ItemError(
      `Plugin ${names} required by the rules is not available: Peregrine provides the fields of ${[...BUILTIN_PLUGINS].join(', ')} only`,
      at,
    );
  }
}
