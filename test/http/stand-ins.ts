/** Temporary minimal intelligence for route tests until src/intel.ts lands. */
import type { Assessment, Evidence, Intelligence } from '../../src/model.ts';

export const standInIntelligence: Intelligence = {
  assess(e: Evidence): Assessment {
    const score = e.override?.verdict === 'allow' ? 0 : e.sightings.length > 0 ? 60 : 0;
    return {
      risk: {
        score,
        level: score >= 60 ? 'high' : 'low',
        factors: [
          ...e.sightings.map((s) => ({ kind: 'sighting', description: `${s.feed.name} reported it`, feed_id: s.feedId })),
          ...(e.override ? [{ kind: 'override', description: e.override.reason }] : []),
        ],
      },
      confidence: e.sightings.length > 1 ? 'high' : 'low',
      techniques: [],
      threatTypes: [...new Set(e.sightings.flatMap((s) => (s.threatType ? [s.threatType] : [])))],
      malwareFamilies: [],
      tags: [],
      warninglists: [],
      related: {},
    };
  },
};
