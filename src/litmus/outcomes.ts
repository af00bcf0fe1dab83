// Counting outcomes by the values they are made of, cheaply: thread 0 counts a whole batch while
// the other threads wait at the barrier, and the longer they wait the more likely they fall
// asleep there and stop overlapping. The values the models expect (a small range per observed
// name) index a flat table directly; anything outside it goes to a Map keyed by text.

/** The values an observed name is expected to take: [min, min + span). */
export interface ValueRange {
  readonly min: number;
  readonly span: number;
}

/** Larger tables are not worth their memory: the rest go to the Map. */
const MAX_TABLE = 1 << 16;

export class OutcomeCounter {
  private readonly mins: Int32Array;
  private readonly spans: Int32Array;
  private readonly strides: Float64Array;
  private readonly table: Float64Array;
  private readonly other = new Map<string, number>();

  constructor(private readonly ranges: readonly ValueRange[]) {
    this.mins = Int32Array.from(ranges, (r) => r.min);
    this.spans = Int32Array.from(ranges, (r) => r.span);
    this.strides = new Float64Array(ranges.length);
    let size = 1;
    ranges.forEach((r, k) => {
      this.strides[k] = size;
      size *= Math.max(1, r.span);
    });
    // Too large a table: no outcome is dense, all go to the Map.
    if (size > MAX_TABLE) this.spans.fill(0);
    this.table = new Float64Array(size > MAX_TABLE ? 0 : size);
  }

  add(values: ArrayLike<number>): void {
    let key = 0;
    for (let k = 0; k < values.length; k++) {
      const d = values[k] - this.mins[k];
      if (d < 0 || d >= this.spans[k]) {
        this.addOther(values);
        return;
      }
      key += d * this.strides[k];
    }
    this.table[key]++;
  }

  /** Every outcome seen, with its count. */
  entries(): { values: number[]; count: number }[] {
    const out: { values: number[]; count: number }[] = [];
    this.table.forEach((count, key) => {
      if (count === 0) return;
      out.push({ values: this.ranges.map((r, k) => r.min + (Math.floor(key / this.strides[k]) % r.span)), count });
    });
    for (const [text, count] of this.other) out.push({ values: text === '' ? [] : text.split(',').map(Number), count });
    return out;
  }

  private addOther(values: ArrayLike<number>): void {
    const text = Array.from(values).join(',');
    this.other.set(text, (this.other.get(text) ?? 0) + 1);
  }
}

/** Per observed position, the range covering every value in `outcomes`. */
export function rangesOf(width: number, outcomes: Iterable<readonly number[]>): ValueRange[] {
  const min = new Array<number>(width).fill(Infinity);
  const max = new Array<number>(width).fill(-Infinity);
  for (const values of outcomes) {
    values.forEach((v, k) => {
      min[k] = Math.min(min[k], v);
      max[k] = Math.max(max[k], v);
    });
  }
  return min.map((lo, k) => (lo === Infinity ? { min: 0, span: 0 } : { min: lo, span: max[k] - lo + 1 }));
}
