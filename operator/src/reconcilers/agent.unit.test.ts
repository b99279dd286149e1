import { agentRules } from './agent';

test('an Agent’s policy parameters become the vault’s rule shapes', () => {
  expect(
    agentRules({
      serviceAccountName: 'sa',
      allowedMethods: ['GET'],
      allowedUrls: ['/v1/**'],
      timeWindows: [
        { days: ['Mon', 'Tue'], start: '09:00', end: '17:00', timeZone: 'Europe/Paris' },
        { days: ['Sat'], start: '10:00', end: '12:00', timeZone: 'Europe/Paris' },
        { days: ['Sun'], start: '00:00', end: '24:00' },
      ],
      rateLimit: { requests: 10, perSeconds: 60 },
    }),
  ).toEqual([
    { type: 'http', methods: ['GET'], paths: ['/v1/**'] },
    { type: 'time_window', zone: 'Europe/Paris', windows: [{ days: ['mon', 'tue'], from: '09:00', to: '17:00' }, { days: ['sat'], from: '10:00', to: '12:00' }] },
    { type: 'time_window', zone: 'UTC', windows: [{ days: ['sun'], from: '00:00', to: '24:00' }] },
    { type: 'rate_limit', requests: 10, perSeconds: 60, per: 'agent' },
  ]);
  expect(agentRules({ serviceAccountName: 'sa' })).toEqual([]);
});
