/**
 * JUnit XML for `pkvm-emu test --junit FILE`: one testsuite, one testcase per scenario file; a
 * failed expectation is a <failure>, a scenario that could not be loaded or run is an <error>.
 */

export interface CaseResult {
  name: string;
  file: string;
  seconds: number;
  /** Failed expectations, one line each (empty: passed). */
  failures: string[];
  /** The scenario could not be loaded (bad file) or crashed: one line. */
  error?: string;
  /** Report text kept as system-out. */
  output?: string;
}

export function xmlEscape(s: string): string {
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '?') // not allowed in XML 1.0, even as references
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function junitXml(suite: string, cases: CaseResult[]): string {
  const failures = cases.filter((c) => !c.error && c.failures.length).length;
  const errors = cases.filter((c) => c.error).length;
  const time = cases.reduce((t, c) => t + c.seconds, 0).toFixed(3);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="pkvm-emu" tests="${cases.length}" failures="${failures}" errors="${errors}" time="${time}">`,
    `  <testsuite name="${xmlEscape(suite)}" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="0" time="${time}">`,
  ];
  for (const c of cases) {
    out.push(`    <testcase classname="${xmlEscape(suite)}" name="${xmlEscape(c.name)}" file="${xmlEscape(c.file)}" time="${c.seconds.toFixed(3)}">`);
    if (c.error) out.push(`      <error message="${xmlEscape(c.error)}" type="ScenarioError">${xmlEscape(c.error)}</error>`);
    else if (c.failures.length) out.push(`      <failure message="${xmlEscape(c.failures[0])}" type="ExpectationFailed">${xmlEscape(c.failures.join('\n'))}</failure>`);
    if (c.output) out.push(`      <system-out>${xmlEscape(c.output)}</system-out>`);
    out.push('    </testcase>');
  }
  out.push('  </testsuite>', '</testsuites>', '');
  return out.join('\n');
}
