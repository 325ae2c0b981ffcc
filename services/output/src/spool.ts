/**
 * A destination's persistent retry queue: an append-only file of alert JSON lines plus a file holding the byte
 * offset of the first undelivered line. Appends are written before `handle()` resolves (so before the host acks the
 * NATS message); the offset advances only after a delivery succeeded. A crash between delivery and the offset write
 * re-delivers that alert once: delivery is at-least-once, and receivers dedupe on the alert uuid.
 *
 * Writes are plain write(2) calls: they survive a crash of this process, not a power loss (no fsync per alert).
 * Memory holds only each record's length; the head record is read back from the file when it is retried, so a
 * long outage costs disk, not heap.
 */
import { closeSync, existsSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Alert } from '@peregrine/event';
import { decodeAlert, decodeJson, encodeAlert } from '@peregrine/bus';
import { SpoolCorruptError } from './errors.ts';

export class Spool {
  readonly file: string;
  private readonly offsetFile: string;
  private readonly dir: string;
  /** Opened on first use: a destination that never fails never touches the disk. */
  private fd = -1;
  /** Byte length of each queued record, oldest first from `head`. */
  private readonly entries: number[] = [];
  private head = 0;
  private offset = 0;
  private cached: Alert | undefined;
  /** Records that could not be read back at open (torn last write): reported, then skipped. */
  readonly corrupt: SpoolCorruptError[] = [];

  constructor(dir: string) {
    this.dir = dir;
    this.file = join(dir, 'queue.jsonl');
    this.offsetFile = join(dir, 'queue.offset');
    if (existsSync(this.file)) {
      this.open();
      this.load();
    }
  }

  get pending(): number {
    return this.entries.length - this.head;
  }

  append(alert: Alert): void {
    const line = Buffer.from(`${encodeAlert(alert)}\n`);
    if (this.fd < 0) this.open();
    writeSync(this.fd, line);
    this.entries.push(line.length);
  }

  /** The oldest queued alert. A record unreadable on disk is reported in `corrupt` and skipped. */
  peek(): Alert | undefined {
    while (!this.cached) {
      const bytes = this.entries[this.head];
      if (bytes === undefined) return undefined;
      const buf = Buffer.allocUnsafe(bytes);
      readSync(this.fd, buf, 0, bytes, this.offset);
      try {
        // Only the first line: skipped records found at open are folded into the one before them.
        this.cached = decodeAlert(buf.subarray(0, buf.indexOf(10) + 1).toString('utf8'));
      } catch {
        this.corrupt.push(new SpoolCorruptError(this.file, this.offset));
        this.shift();
      }
    }
    return this.cached;
  }

  /** The head alert was delivered (or given up on with accounting): move past it. */
  shift(): void {
    const bytes = this.entries[this.head];
    if (bytes === undefined) return;
    this.cached = undefined;
    this.head++;
    this.offset += bytes;
    if (this.pending === 0) {
      // Empty: start the files afresh rather than let them grow for ever.
      ftruncateSync(this.fd, 0);
      this.entries.length = 0;
      this.head = 0;
      this.offset = 0;
    } else if (this.head > 4096 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
    writeFileSync(this.offsetFile, String(this.offset));
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  private open(): void {
    mkdirSync(this.dir, { recursive: true });
    this.fd = openSync(this.file, 'a+');
  }

  private load(): void {
    const size = fstatSync(this.fd).size;
    const saved = existsSync(this.offsetFile) ? Number(readFileSync(this.offsetFile, 'utf8')) : 0;
    this.offset = Number.isFinite(saved) && saved >= 0 && saved <= size ? saved : 0;
    if (size === this.offset) return;
    let text = readFileSync(this.file).subarray(this.offset);
    const complete = text.lastIndexOf(10) + 1;
    if (complete < text.length) {
      // A torn last write (crash mid-append): cut it off so the next append starts on a fresh line.
      this.corrupt.push(new SpoolCorruptError(this.file, this.offset + complete));
      ftruncateSync(this.fd, this.offset + complete);
      text = text.subarray(0, complete);
    }
    let pos = 0;
    while (pos < text.length) {
      const end = text.indexOf(10, pos) + 1;
      const bytes = end - pos;
      try {
        decodeJson(text.subarray(pos, end).toString('utf8'));
        this.entries.push(bytes);
      } catch {
        this.corrupt.push(new SpoolCorruptError(this.file, this.offset + pos));
        // Keep the byte accounting right: a skipped record still occupies its bytes, so fold it into its
        // predecessor (skipped together) or, at the head, step over it.
        if (this.entries.length === 0) this.offset += bytes;
        else this.entries[this.entries.length - 1]! += bytes;
      }
      pos = end;
    }
    if (this.entries.length === 0) {
      ftruncateSync(this.fd, 0);
      this.offset = 0;
      writeFileSync(this.offsetFile, '0');
    }
  }
}
