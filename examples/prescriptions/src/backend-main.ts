/** Process entry of the prescriptions backend: `backend-main.ts CONFIG.json`. */
import { validateBackendConfig } from './party-config.js';
import { buildPrescriptionsBackend } from './prescriptions-backend.js';
import { runPartyProcess } from './party-process.js';

await runPartyProcess('prescriptions-backend', validateBackendConfig, (config) => buildPrescriptionsBackend(config));
