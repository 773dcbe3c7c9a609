/**
 * Reading values without putting them on the command line: a no-echo prompt on a terminal, or
 * stdin when it is a pipe or a file. Nothing read here is ever echoed.
 */
import { CliError, EXIT, usageError } from './exit.js';

/** Reads all of stdin as UTF-8. */
export async function readStdin(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** True when stdin is an interactive terminal. */
export const stdinIsTty = (): boolean => Boolean(process.stdin.isTTY);

/**
 * Reads one line from the terminal with echo off (raw mode): Backspace edits, Ctrl-U clears,
 * Enter ends, Ctrl-C / Ctrl-D on an empty line abort.
 */
export function promptHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    let value = '';
    process.stderr.write(question);
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    const finish = (err: Error | null) => {
      stdin.off('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return finish(null);
        if (ch === '\u0003') return finish(new CliError(EXIT.ERROR, 'aborted'));
        if (ch === '\u0004') {
          if (value === '') return finish(new CliError(EXIT.ERROR, 'aborted'));
          return finish(null);
        }
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch === '\u0015') value = '';
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

/** A yes/no question on the terminal (echo on). */
export function confirm(question: string): Promise<boolean> {
  const stdin = process.stdin;
  return new Promise((resolve) => {
    process.stderr.write(`${question} [y/N] `);
    stdin.setEncoding('utf8');
    const onData = (chunk: string) => {
      stdin.off('data', onData);
      stdin.pause();
      resolve(/^y(es)?$/i.test(chunk.trim()));
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

/**
 * A secret value: from a hidden prompt when stdin is a terminal, else all of stdin minus one
 * trailing line break (what `echo` and here-strings add). Refuses empty and multi-line values
 * here, before anything is sent.
 */
export async function readValue(what: string): Promise<string> {
  let value: string;
  if (stdinIsTty()) {
    value = await promptHidden(`${what} (input hidden): `);
  } else {
    value = (await readStdin()).replace(/\r?\n$/, '');
  }
  if (value === '') {
    throw usageError(`no value given for ${what}`, stdinIsTty() ? undefined : 'pipe the value on stdin, e.g. `printf %s "$VALUE" | standin secrets add NAME`');
  }
  if (/[\r\n\0]/.test(value)) throw usageError(`the value for ${what} contains a line break or NUL; values are one line`);
  return value;
}
