// Linux 5.10: as 5.8 here (mm_cpumask trimming, from 5.12, changes nothing while every vCPU
// keeps running the mm, as the emulator's do).

import { linux58 } from './linux-5.8.ts';
import { sameAs } from './version.ts';

export const linux510 = sameAs({ version: '5.10', sameAs: linux58, models: 'as 5.8', sources: linux58.sources });
