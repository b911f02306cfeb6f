// What one run of a probe or lifecycle handler answers, as the kubelet's probe package
// has it: Warning counts as success but is reported (an HTTP redirect it did not follow);
// Unknown means the check itself could not run (and changes nothing).
export type ProbeResult = 'Success' | 'Failure' | 'Warning' | 'Unknown';

export interface ProbeOutcome {
  result: ProbeResult;
  /** Command output, response body or error text: what events and hook messages quote. */
  output: string;
}
