/**
 * Syslog, RFC 5424, over UDP (one message per datagram), TCP (RFC 6587 octet counting by default) or a unix stream
 * socket (newline framing by default, as syslog-ng's unix-stream source expects). Node has no unix datagram
 * sockets, so /dev/log in datagram mode is not supported. Falco's priorities map one to one onto syslog severities.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { parsePriority, priorityLevel, type Alert } from '@peregrine/event';
import { encodeAlert, ruleSlug } from '@peregrine/bus';
import { textLine } from '../alert-format.ts';
import { DeliveryError } from '../errors.ts';
import type { Destination } from './destination.ts';

export type SyslogTransport = 'udp' | 'tcp' | 'unix';
export type SyslogFraming = 'octet-counting' | 'newline';

export interface SyslogOptions {
  transport: SyslogTransport;
  host: string;
  port: number;
  path: string;
  facility: number;
  framing: SyslogFraming;
  format: 'text' | 'json';
  appName: string;
}

export const FACILITIES: Record<string, number> = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10,
  ftp: 11, local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};

/** Our private enterprise number for structured data: 32473 is the one RFC 5612 reserves for documentation. */
const SD_ID = 'peregrine@32473';

export function formatRfc5424(alert: Alert, opts: Pick<SyslogOptions, 'facility' | 'format' | 'appName'>, procId: number): string {
  const p = parsePriority(alert.priority);
  const severity = p === undefined ? 3 : priorityLevel(p);
  const pri = opts.facility * 8 + severity;
  const host = header(alert.hostname, 255);
  const msgId = header(ruleSlug(alert.rule), 32);
  const sd = `[${SD_ID} rule="${sdEscape(alert.rule)}" priority="${sdEscape(alert.priority)}" source="${sdEscape(alert.source)}" uuid="${sdEscape(alert.uuid)}"]`;
  const msg = opts.format === 'json' ? encodeAlert(alert) : textLine(alert);
  return `<${pri}>1 ${rfc3339Micros(alert.time)} ${host} ${header(opts.appName, 48)} ${procId} ${msgId} ${sd} ${msg}`;
}

/** RFC 5424 allows at most six fraction digits. */
function rfc3339Micros(iso: string): string {
  return iso.replace(/\.(\d{6})\d*Z$/, '.$1Z');
}

/** Header fields are printable US-ASCII without spaces, or `-` when empty. */
function header(text: string, max: number): string {
  const t = text.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return t.length > 0 ? t : '-';
}

function sdEscape(v: string): string {
  return v.replace(/["\\\]]/g, (c) => `\\${c}`);
}

export class SyslogDestination implements Destination {
  private udp: UdpSocket | null = null;
  private stream: Socket | null = null;

  constructor(readonly name: string, private readonly opts: SyslogOptions) {}

  async send(alert: Alert): Promise<void> {
    const msg = Buffer.from(formatRfc5424(alert, this.opts, process.pid));
    try {
      if (this.opts.transport === 'udp') await this.sendUdp(msg);
      else await this.sendStream(this.opts.framing === 'octet-counting' ? Buffer.concat([Buffer.from(`${msg.length} `), msg]) : Buffer.concat([msg, Buffer.from('\n')]));
    } catch (err) {
      throw new DeliveryError(this.name, `syslog ${this.opts.transport}: ${(err as Error).message}`, { cause: err });
    }
  }

  close(): void {
    this.udp?.close();
    this.stream?.destroy();
    this.udp = null;
    this.stream = null;
  }

  private sendUdp(msg: Buffer): Promise<void> {
    this.udp ??= createSocket(this.opts.host.includes(':') ? 'udp6' : 'udp4');
    return new Promise((resolve, reject) => this.udp!.send(msg, this.opts.port, this.opts.host, (err) => (err ? reject(err) : resolve())));
  }

  private async sendStream(frame: Buffer): Promise<void> {
    const s = this.stream ?? (await this.connect());
    await new Promise<void>((resolve, reject) => s.write(frame, (err) => {
      if (!err) return resolve();
      s.destroy();
      reject(err);
    }));
  }

  private connect(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const s = this.opts.transport === 'unix' ? connect(this.opts.path) : connect(this.opts.port, this.opts.host);
      s.once('connect', () => {
        s.on('error', () => s.destroy());
        s.once('close', () => { if (this.stream === s) this.stream = null; });
        this.stream = s;
        resolve(s);
      });
      s.once('error', reject);
    });
  }
}
