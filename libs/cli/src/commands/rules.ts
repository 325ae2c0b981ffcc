// Placeholder until its owner lands it; the CLI surface is fixed in main.ts.
export async function rules(_argv: string[]): Promise<number> {
  process.stderr.write('peregrine rules: not implemented yet\n');
  return 2;
}
