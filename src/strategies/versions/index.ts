// The Linux versions --kernel runs, in order: one line each.

import { linux54 } from './linux-5.4.ts';
import { linux58 } from './linux-5.8.ts';
import { linux510 } from './linux-5.10.ts';
import { linux60 } from './linux-6.0.ts';
import { linux61 } from './linux-6.1.ts';
import { linuxX8661 } from './linux-x86-6.1.ts';
import { linuxX86615 } from './linux-x86-6.15.ts';
import { linuxX8671 } from './linux-x86-7.1.ts';
import { seriesV5 } from './series-v5.ts';
import { seriesV6 } from './series-v6.ts';
import type { VersionRow } from './version.ts';

export const VERSION_ROWS: readonly VersionRow[] = [linux54, linux58, linux510, linux60, linux61, seriesV5, seriesV6, linuxX8661, linuxX86615, linuxX8671];
