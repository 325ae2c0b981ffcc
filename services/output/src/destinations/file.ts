/**
 * Appends alerts to a file, one per line (Falco text or JSON). `reopen()` (on SIGHUP) re-opens the path so an
 * external logrotate works; with `maxSizeBytes` set the destination rotates by itself: `file` → `file.1` → … →
 * `file.<maxBackups>` (the oldest is removed).
 */
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Alert } from '@peregrine/event';
import { encodeAlert } from '@peregrine/bus';
import { textLine } from '../alert-format.ts';
import { DeliveryError } from '../errors.ts';
import type { Destination } from './destination.ts';

export interface FileOptions {
  path: string;
  format: 'text' | 'json';
  /** 0: never rotate. */
  maxSizeBytes: number;
  maxBackups: number;
}

export class FileDestination implements Destination {
  private fd = -1;
  private size = 0;

  constructor(readonly name: string, private readonly opts: FileOptions) {
    mkdirSync(dirname(opts.path), { recursive: true });
    this.open();
  }

  send(alert: Alert): Promise<void> {
    const line = Buffer.from(`${this.opts.format === 'json' ? encodeAlert(alert) : textLine(alert)}\n`);
    try {
      if (this.opts.maxSizeBytes > 0 && this.size > 0 && this.size + line.length > this.opts.maxSizeBytes) this.rotate();
      if (this.fd < 0) this.open();
      writeSync(this.fd, line);
      this.size += line.length;
    } catch (err) {
      // A full disk or a vanished directory: close so the next attempt re-opens the path.
      this.closeFd();
      return Promise.reject(new DeliveryError(this.name, `write ${this.opts.path} failed`, { cause: err }));
    }
    return Promise.resolve();
  }

  reopen(): void {
    this.closeFd();
    this.open();
  }

  close(): void {
    this.closeFd();
  }

  private open(): void {
    this.fd = openSync(this.opts.path, 'a');
    this.size = fstatSync(this.fd).size;
  }

  private closeFd(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  private rotate(): void {
    this.closeFd();
    const p = this.opts.path;
    if (this.opts.maxBackups <= 0) {
      rmSync(p, { force: true });
    } else {
      rmSync(`${p}.${this.opts.maxBackups}`, { force: true });
      for (let i = this.opts.maxBackups - 1; i >= 1; i--) {
        if (existsSync(`${p}.${i}`)) renameSync(`${p}.${i}`, `${p}.${i + 1}`);
      }
      renameSync(p, `${p}.1`);
    }
    this.open();
  }
}
