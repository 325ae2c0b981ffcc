// Placeholder until its owner lands it; the CLI surface is fixed in main.ts.
export async function fields(_argv: string[]): Promise<number> {
  process.stderr.write('peregrine fields: not implemented yet\n');
  return 2;
}
