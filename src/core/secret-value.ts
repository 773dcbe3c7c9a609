import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A plaintext credential in memory. Every way a value can be turned into text by accident —
 * JSON.stringify, template strings, console.log/util.inspect, pino — yields `[redacted]`.
 * The only way to the plaintext is the explicit `reveal()`, which the swap pipeline and the
 * `env`-mode injection call, and nothing else.
 */
export class SecretValue {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
    Object.freeze(this);
  }

  reveal(): string {
    return this.#value;
  }

  get length(): number {
    return this.#value.length;
  }

  equals(other: SecretValue): boolean {
    return this.#value === other.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }

  [Symbol.toPrimitive](): string {
    return REDACTED;
  }
}
