import { describe, expect, it } from 'vitest';
import { builtinTest } from '../../src/litmus/litmus-files.ts';
import { formatLitmus7Log, formatLitmus7Test, parseLitmus7Log } from '../../src/litmus/litmus7-log.ts';
import { readCLitmus } from '../../src/litmus/parse-c-litmus.ts';
import { summarise } from '../../src/litmus/run-litmus.ts';

const sb = summarise(builtinTest('SB'), 'as-written', 100, 10, [{ values: [1, 0], count: 90 }, { values: [0, 0], count: 4 }, { values: [0, 1], count: 6 }], 0.25, 'x64');

describe('litmus7 logs', () => {
  it('writes each test as litmus7 does: histogram with *> where the condition holds, witnesses, condition, Observation', () => {
    expect(formatLitmus7Test(sb).split('\n').slice(3)).toEqual([
      'Test SB Allowed',
      'Histogram (3 states)',
      '4     *>0:r0=0; 1:r0=0;',
      '6     :>0:r0=0; 1:r0=1;',
      '90    :>0:r0=1; 1:r0=0;',
      'Ok',
      '',
      'Witnesses',
      'Positive: 4, Negative: 96',
      'Condition exists (0:r0=0 /\\ 1:r0=0) is validated',
      `Hash=${sb.hash}`,
      'Observation SB Sometimes 4 96',
      'Time SB 0.25',
      '',
    ]);
  });

  it('reads back what it writes, for every quantifier and variant', () => {
    const source = builtinTest('S').source;
    const variants = [
      sb,
      summarise(builtinTest('SB'), 'fenced', 100, 10, [{ values: [1, 0], count: 100 }], 0.1, 'x64'),
      ...(['~exists', 'forall'] as const).map((quantifier) => {
        const read = readCLitmus(source.replace('exists (x=2', `${quantifier} (x=2`));
        if (!read.ok) throw new Error(read.message);
        return summarise(read.test, 'as-written', 50, 10, [{ values: [1, 2], count: 50 }], 0.1, 'x64');
      }),
    ];
    const log = parseLitmus7Log(formatLitmus7Log('npx tsx stress/litmus.ts', variants));
    expect(log.map((t) => [t.name, t.kind, t.validation, t.witnesses, t.observation])).toEqual([
      ['SB', 'Allowed', 'Ok', { positive: 4, negative: 96 }, { result: 'Sometimes', positive: 4, negative: 96 }],
      ['SB/fenced', 'Allowed', 'No', { positive: 0, negative: 100 }, { result: 'Never', positive: 0, negative: 100 }],
      // litmus7 counts ~exists' witnesses as the runs that validate it.
      ['S', 'Forbidden', 'No', { positive: 0, negative: 50 }, { result: 'Always', positive: 50, negative: 0 }],
      ['S', 'Required', 'Ok', { positive: 50, negative: 0 }, { result: 'Always', positive: 50, negative: 0 }],
    ]);
    expect(log[0].states).toEqual([
      { count: 4, witness: true, bindings: { '0:r0': 0, '1:r0': 0 } },
      { count: 6, witness: false, bindings: { '0:r0': 0, '1:r0': 1 } },
      { count: 90, witness: false, bindings: { '0:r0': 1, '1:r0': 0 } },
    ]);
    expect(log[2].states).toEqual([{ count: 50, witness: true, bindings: { '1:r0': 1, x: 2 } }]);
    expect(log[0]).toMatchObject({ condition: 'exists (0:r0=0 /\\ 1:r0=0)', hash: sb.hash, time: 0.25 });
  });

  it("reads a log as litmus7 itself writes one, with its prelude, assembler and topology lines", () => {
    const log = [
      'Revision exported, version 7.56',
      'Command line: litmus7 -mach x86_64 SB.litmus',
      '%%%%%%%%%%%%%%%%%%%%%%%%%',
      '% Results for SB.litmus %',
      '%%%%%%%%%%%%%%%%%%%%%%%%%',
      'X86_64 SB',
      '{ x=0; y=0; }',
      ' P0          | P1          ;',
      ' movl $1,(x) | movl $1,(y) ;',
      'exists (0:rax=0 /\\ 1:rax=0)',
      'Generated assembler',
      '\tmovl $1,(%rdx)',
      'Test SB Allowed',
      'Histogram (3 states)',
      '12    *>0:rax=0; 1:rax=0; [x]=1;',
      '499952:>0:rax=1; 1:rax=0; [x]=1;',
      '500036:>0:rax=0; 1:rax=1; [x]=1;',
      'Ok',
      '',
      'Witnesses',
      'Positive: 12, Negative: 999988',
      'Condition exists (0:rax=0 /\\ 1:rax=0) is validated',
      'Hash=7dbd6b8e6dd4abc2ef3d48b0376fb2e3',
      'Observation SB Sometimes 12 999988',
      'Topology 12    :> part=0 [[0],[1]]',
      'Time SB 0.17',
      '',
    ].join('\n');
    const [test] = parseLitmus7Log(log);
    expect(test).toMatchObject({ name: 'SB', kind: 'Allowed', validation: 'Ok', observation: { result: 'Sometimes', positive: 12, negative: 999988 }, time: 0.17 });
    expect(test.states[1]).toEqual({ count: 499952, witness: false, bindings: { '0:rax': 1, '1:rax': 0, x: 1 } });
  });

  it('refuses a state line mcompare7 would not read, naming the line', () => {
    expect(() => parseLitmus7Log('Test SB Allowed\nHistogram (1 states)\n4     *>0:r0=zero;\nOk\n')).toThrow("line 3: bad state line: '4     *>0:r0=zero;'");
    expect(() => parseLitmus7Log('Test SB Maybe\nHistogram (1 states)\n')).toThrow("unknown kind 'Maybe'");
  });
});
