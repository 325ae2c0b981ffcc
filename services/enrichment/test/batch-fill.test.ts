import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MetadataState, NO_REF } from '@peregrine/event';
import { dedupeContainers } from '../src/batch-fill.ts';
import { batchFor, containerRecord, processRecord } from './batch-builder.ts';

describe('dedupeContainers', () => {
  it('merges records with the same id and repoints processes, keeping order', () => {
    const b = batchFor('n', 1, ['a', 'b', 'a', 'c', 'b']);
    b.procs.push(processRecord(1, NO_REF));
    dedupeContainers(b);
    assert.deepEqual(b.containers.map((c) => c.id), ['a', 'b', 'c']);
    assert.deepEqual(b.procs.map((p) => p.container), [0, 1, 0, 2, 1, NO_REF]);
  });
  it('leaves a batch without duplicates untouched', () => {
    const b = batchFor('n', 1, ['a', 'b']);
    const before = b.containers;
    dedupeContainers(b);
    assert.equal(b.containers, before);
    assert.equal(containerRecord('z').metadata, MetadataState.None);
  });
});
