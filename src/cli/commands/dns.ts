/** `matrix dns`: the `.matrix` names apps find each other by; `dns serve` is the server the manager starts. */
import type { Command } from 'commander';
import { MatrixError } from '../../core/errors.ts';
import { ApiClient } from '../api-client.ts';
import { table } from '../output.ts';

export function dnsCommands(program: Command): void {
  const dns = program
    .command('dns')
    .description('the .matrix names: <app>.matrix, <slot>.<app>.matrix, <node>.matrix and SRV _<port>._tcp.<app>.matrix')
    .action(async () => {
      const v = await ApiClient.fromEnv().dns();
      if (!v.listen)
        throw new MatrixError(
          'E_NOT_FOUND',
          'this manager runs no .matrix DNS: its registry is on loopback, where no node could ask it (`matrix manager start --dns <address>:53`)',
        );
      console.log(
        `server ${v.listen}, zone serial ${v.serial ?? '-'}; containers ask ${v.containerDns ?? 'the engine default (the server is not on an address nodes reach at port 53)'}`,
      );
      console.log(
        table(
          ['NAME', 'TYPE', 'TTL', 'VALUE'],
          v.records.map((r) => [r.name, r.type, String(r.ttl), r.value]),
        ),
      );
    });
  dns
    .command('serve', { hidden: true })
    .description('run the DNS server on a zone file (the manager starts it; it outlives the manager)')
    .requiredOption('--zone <file>', 'the zone file the manager writes')
    .requiredOption('--listen <address:port>', 'where to answer, e.g. 10.210.0.1:53')
    .action(async (o: { zone: string; listen: string }) => {
      const { runDnsServer } = await import('../../manager/index.ts');
      await runDnsServer(o);
    });
}
