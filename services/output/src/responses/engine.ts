/**
 * Runs the responses rules against each alert: rules in file order, each matching rule's actions in order. Every
 * action taken (or dry-run, or failed) is published on `actionTaken(<verb>)` and traced as a child span of the
 * alert's span. A failed action never fails the alert's delivery; it stops the rule (and later rules) unless the
 * rule says `ignore_errors`.
 */
import { context, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import type { Alert } from '@peregrine/event';
import { actionTaken, encodeAlert, nodeAction } from '@peregrine/bus';
import type { ControlChannel, Logger } from '@peregrine/runtime';
import { ActionError } from '../errors.ts';
import { decodeKillReply, encodeKillRequest, KILL_ACTION } from './kill.ts';
import type { KubeActions, PodRef } from './kube.ts';
import type { ActionSpec, Actionner, ResponseRule } from './rules.ts';

export type ActionStatus = 'done' | 'dry_run' | 'failed';

/** What is published on `peregrine.actions.<verb>` for each action. */
export interface ActionRecord {
  time: string;
  alert: string;
  alertRule: string;
  responseRule: string;
  action: string;
  actionner: Actionner;
  status: ActionStatus;
  dryRun: boolean;
  detail: string;
  traceId: string;
  spanId: string;
}

const VERB: Record<Actionner, string> = {
  'process:kill': KILL_ACTION,
  'kubernetes:terminate': 'terminate',
  'kubernetes:label': 'label',
  'kubernetes:networkpolicy': 'isolate',
  'http:webhook': 'webhook',
};

export interface EngineDeps {
  control: ControlChannel;
  /** Built on first use, so a node without Kubernetes never needs a kubeconfig. */
  kube: () => KubeActions;
  log: Logger;
  tracer: Tracer;
  killTimeoutMs: number;
  webhookTimeoutMs: number;
  onAction(record: ActionRecord): void;
}

export class ResponseEngine {
  constructor(private readonly rules: ResponseRule[], private readonly deps: EngineDeps) {}

  async run(alert: Alert, parent: Span): Promise<ActionRecord[]> {
    const records: ActionRecord[] = [];
    for (const rule of this.rules) {
      if (!rule.matches(alert)) continue;
      let failed = false;
      for (const action of rule.actions) {
        const rec = await this.runOne(alert, rule, action, parent);
        records.push(rec);
        if (rec.status === 'failed' && !rule.ignoreErrors) {
          failed = true;
          break;
        }
      }
      if (failed || !rule.continue) break;
    }
    return records;
  }

  private async runOne(alert: Alert, rule: ResponseRule, action: ActionSpec, parent: Span): Promise<ActionRecord> {
    const span = this.deps.tracer.startSpan(`response ${action.actionner}`, {
      attributes: { 'peregrine.alert.uuid': alert.uuid, 'peregrine.alert.rule': alert.rule, 'peregrine.response.rule': rule.name,
        'peregrine.response.action': action.name, 'peregrine.response.dry_run': rule.dryRun },
    }, trace.setSpan(context.active(), parent));
    let status: ActionStatus = rule.dryRun ? 'dry_run' : 'done';
    let detail: string;
    try {
      detail = await this.perform(alert, action, rule.dryRun);
    } catch (err) {
      status = 'failed';
      detail = err instanceof Error ? err.message : String(err);
      span.setStatus({ code: SpanStatusCode.ERROR, message: detail });
      this.deps.log.warn('response action failed', { alert: alert.uuid, rule: rule.name, action: action.name, reason: detail });
    }
    span.setAttribute('peregrine.response.status', status);
    span.end();
    const sc = span.spanContext();
    const rec: ActionRecord = { time: new Date().toISOString(), alert: alert.uuid, alertRule: alert.rule, responseRule: rule.name,
      action: action.name, actionner: action.actionner, status, dryRun: rule.dryRun, detail, traceId: sc.traceId, spanId: sc.spanId };
    this.deps.onAction(rec);
    try {
      await this.deps.control.publish(actionTaken(VERB[action.actionner]), Buffer.from(JSON.stringify(rec)));
    } catch (err) {
      this.deps.log.warn('could not publish action record', { alert: alert.uuid, reason: (err as Error).message });
    }
    return rec;
  }

  private async perform(alert: Alert, action: ActionSpec, dryRun: boolean): Promise<string> {
    const p = action.parameters;
    switch (action.actionner) {
      case 'process:kill': {
        const pid = Number(alert.output_fields['proc.pid']);
        // libsinsp's name is proc.pid.ts; our rules library spells it proc.pid_ts. Numbers above 2^53 lose a few
        // hundred ns in JSON, far below the 10 ms tick the start-time check compares.
        const ts = alert.output_fields['proc.pid.ts'] ?? alert.output_fields['proc.pid_ts'];
        const startTs = typeof ts === 'number' ? BigInt(Math.round(ts)).toString() : String(ts ?? '');
        if (!Number.isInteger(pid) || pid <= 0 || !/^\d+$/.test(startTs)) {
          throw new ActionError(action.name, action.actionner, 'alert has no proc.pid and proc.pid.ts in output_fields');
        }
        const signal = typeof p.signal === 'string' ? p.signal : 'SIGKILL';
        const target = `pid ${pid} (start ${startTs}) on ${alert.hostname}`;
        if (dryRun) return `would send ${signal} to ${target}`;
        const reply = decodeKillReply(await this.deps.control.request(nodeAction(alert.hostname, KILL_ACTION),
          encodeKillRequest({ pid, startTs, signal, alert: alert.uuid, rule: alert.rule }), this.deps.killTimeoutMs));
        if (!reply.killed) throw new ActionError(action.name, action.actionner, `${target} not killed: ${reply.reason ?? 'no reason given'}`);
        return `sent ${signal} to ${target}`;
      }
      case 'kubernetes:terminate':
        return this.deps.kube().terminate(podOf(alert, action), typeof p.grace_period_seconds === 'number' ? p.grace_period_seconds : undefined, dryRun);
      case 'kubernetes:label':
        return this.deps.kube().label(podOf(alert, action), p.labels as Record<string, string | null>, dryRun);
      case 'kubernetes:networkpolicy':
        return this.deps.kube().isolate(podOf(alert, action), dryRun);
      case 'http:webhook':
        return dryRun ? `would POST the alert to ${String(p.url)}` : this.webhook(alert, action);
    }
  }

  private async webhook(alert: Alert, action: ActionSpec): Promise<string> {
    const url = String(action.parameters.url);
    const headers = (action.parameters.headers ?? {}) as Record<string, string>;
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': alert.uuid, ...headers },
      body: encodeAlert(alert),
      signal: AbortSignal.timeout(this.deps.webhookTimeoutMs),
    });
    await res.arrayBuffer();
    if (!res.ok) throw new ActionError(action.name, action.actionner, `HTTP ${res.status} from ${url}`);
    return `POSTed the alert to ${url} (HTTP ${res.status})`;
  }
}

function podOf(alert: Alert, action: ActionSpec): PodRef {
  const namespace = alert.output_fields['k8s.ns.name'];
  const name = alert.output_fields['k8s.pod.name'];
  if (typeof namespace !== 'string' || !namespace || typeof name !== 'string' || !name) {
    throw new ActionError(action.name, action.actionner, 'alert has no k8s.ns.name and k8s.pod.name in output_fields');
  }
  return { namespace, name };
}
