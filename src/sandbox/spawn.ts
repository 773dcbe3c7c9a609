/**
 * Runs the sandboxed command in the foreground: stdio inherited, SIGINT/SIGTERM/SIGHUP forwarded,
 * and its exit status turned into ours (128 + signal number when a signal ended it, as shells do).
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

export const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
type Forwarded = (typeof FORWARDED_SIGNALS)[number];
/** After standin itself gets SIGTERM: how long the command may take to exit before it is killed. */
export const TERM_GRACE_MS = 10_000;

/** The exit code for a status: the code itself, or 128 + the signal's number. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal ? (constants.signals as Record<string, number>)[signal] : undefined;
  return 128 + (n ?? 0);
}

/**
 * Signals that arrive while the run is still being set up (or torn down): the first one is kept,
 * so the run can stop before it spawns anything. Install once, early; `dispose()` at the end.
 */
export class SignalGate {
  received: Forwarded | null = null;
  #target: ((s: Forwarded) => void) | null = null;
  readonly #handlers = new Map<Forwarded, () => void>();

  constructor() {
    for (const s of FORWARDED_SIGNALS) {
      const h = () => {
        this.received ??= s;
        this.#target?.(s);
      };
      this.#handlers.set(s, h);
      process.on(s, h);
    }
  }

  /** Routes later signals to `fn` (the child). */
  forwardTo(fn: ((s: Forwarded) => void) | null): void {
    this.#target = fn;
  }

  dispose(): void {
    for (const [s, h] of this.#handlers) process.off(s, h);
    this.#handlers.clear();
  }
}

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the command could not be started at all. */
  spawnError: NodeJS.ErrnoException | null;
}

/**
 * Spawns `file args` with `env` and waits for it. While it runs, forwarded signals go to it. A
 * SIGINT is not forwarded when stdin is a terminal: the terminal already sent it to the whole
 * foreground process group, the command included, and a second one would interrupt its cleanup.
 * After a SIGTERM to standin, the command gets TERM_GRACE_MS to exit, then SIGKILL.
 */
export function runChild(gate: SignalGate, file: string, args: readonly string[], env: Record<string, string>): Promise<ChildResult> {
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(file, args as string[], { stdio: 'inherit', env });
    } catch (e) {
      resolve({ code: null, signal: null, spawnError: e as NodeJS.ErrnoException });
      return;
    }
    let killTimer: NodeJS.Timeout | null = null;
    let settled = false;
    const settle = (r: ChildResult) => {
      if (settled) return;
      settled = true;
      gate.forwardTo(null);
      if (killTimer) clearTimeout(killTimer);
      resolve(r);
    };
    gate.forwardTo((s) => {
      if (s === 'SIGINT' && process.stdin.isTTY) return;
      try {
        child.kill(s);
      } catch {
        /* exited meanwhile */
      }
      if (s === 'SIGTERM' && !killTimer) {
        killTimer = setTimeout(() => {
          try {
            child.kill('SIGKILL');
          } catch {
            /* gone */
          }
        }, TERM_GRACE_MS);
        killTimer.unref();
      }
    });
    child.once('error', (e: NodeJS.ErrnoException) => settle({ code: null, signal: null, spawnError: e }));
    child.once('exit', (code, signal) => settle({ code, signal, spawnError: null }));
  });
}
