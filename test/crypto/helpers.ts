// Shared assertions for the crypto tests (not a test file itself).
import assert from 'node:assert/strict';
import { StandinError, type ErrorCode } from '../../src/core/errors.js';

/** A value that must never show up in stored bytes, in any common encoding. */
export const CANARY = 'CANARY-crypto-9f3b2c7e1d04a8b6-do-not-leak';

/** Asserts `bytes` holds `canary` neither raw nor as base64, base64url or hex text. */
export function assertNoCanary(bytes: Buffer, canary: string = CANARY): void {
  const raw = Buffer.from(canary, 'utf8');
  const forms = [
    raw,
    Buffer.from(raw.toString('base64')),
    Buffer.from(raw.toString('base64url')),
    Buffer.from(raw.toString('hex')),
    Buffer.from(raw.toString('hex').toUpperCase()),
  ];
  for (const form of forms) assert.equal(bytes.includes(form), false, 'canary found in stored bytes');
  // The blob's own text renderings, which a careless store or log could produce.
  for (const text of [bytes.toString('base64'), bytes.toString('hex'), bytes.toString('latin1')]) {
    assert.equal(text.includes(canary), false);
    assert.equal(text.includes(raw.toString('hex')), false);
  }
}

/** Asserts `fn` throws a StandinError with one of `codes`; returns it for further checks. */
export function throwsCode(fn: () => unknown, ...codes: ErrorCode[]): StandinError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof StandinError, `expected a StandinError, got ${String(e)}`);
    assert.ok(codes.includes(e.code), `expected code ${codes.join('|')}, got ${e.code}: ${e.message}`);
    return e;
  }
  assert.fail(`expected a StandinError with code ${codes.join('|')}, nothing was thrown`);
}

/** Async variant of throwsCode. */
export async function rejectsCode(p: Promise<unknown>, ...codes: ErrorCode[]): Promise<StandinError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof StandinError, `expected a StandinError, got ${String(e)}`);
    assert.ok(codes.includes(e.code), `expected code ${codes.join('|')}, got ${e.code}: ${e.message}`);
    return e;
  }
  assert.fail(`expected a rejection with code ${codes.join('|')}`);
}

/** A copy of `blob` with the byte at `i` flipped. */
export function flipByte(blob: Buffer, i: number): Buffer {
  const copy = Buffer.from(blob);
  copy[i] = (copy[i] as number) ^ 0x01;
  return copy;
}
