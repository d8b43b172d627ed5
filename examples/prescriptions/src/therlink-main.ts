/** Process entry of the therapeutic-relation service: `therlink-main.ts CONFIG.json`. */
import { validateTherlinkConfig } from './party-config.js';
import { runPartyProcess } from './party-process.js';
import { buildTherapeuticRelationService } from './therapeutic-relation-service.js';

await runPartyProcess('therapeutic-relation-service', validateTherlinkConfig, (config) =>
  buildTherapeuticRelationService(config),
);
