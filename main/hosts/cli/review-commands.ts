/** `loupe review …`: the review's audit trail exported from the command line, through the same channel as the UI. */
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { REVIEW_REPORT_FORMATS } from '../../../contract/index';
import type { CliContext } from './context';
import { progressLine } from './progress';

type ReportFormat = (typeof REVIEW_REPORT_FORMATS)[number];

function reportFormat(value: string): ReportFormat {
  if (!(REVIEW_REPORT_FORMATS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`format is one of ${REVIEW_REPORT_FORMATS.join(', ')}.`);
  return value as ReportFormat;
}

export function registerReviewCommands(program: Command, context: () => CliContext): void {
  const review = program
    .command('review')
    .description('Review verdicts: export the audit trail as CSV or an HTML report.');
  review
    .command('export')
    .description(
      'Write the review as review.csv (one row per verdict) or review.html (thumbnails, verdicts, agreement, model card) into a folder.',
    )
    .requiredOption('--workspace <folder>', 'the workspace folder')
    .requiredOption('--out <folder>', 'where to write (made when missing)')
    .option('--format <format>', REVIEW_REPORT_FORMATS.join(' | '), reportFormat, 'html' as ReportFormat)
    .option('--run <id>', 'only the verdicts on this run')
    .option(
      '--include-identifiers',
      'add patient id and study, series and instance UIDs from DICOM tags (left out otherwise)',
    )
    .option('--json', 'print JSON')
    .action(
      async (o: {
        workspace: string;
        out: string;
        format: ReportFormat;
        run?: string;
        includeIdentifiers?: boolean;
        json?: boolean;
      }) => {
        const ctx = context();
        await ctx.invoke('workspace.open', { path: path.resolve(o.workspace), create: false });
        const bar = progressLine('export');
        const reply = await ctx.invoke(
          'review.export',
          {
            out: path.resolve(o.out),
            format: o.format,
            includeIdentifiers: o.includeIdentifiers === true,
            ...(o.run ? { runId: o.run } : {}),
          },
          (p) => bar.update(p.done, p.total),
        );
        bar.done();
        if (o.json) return console.log(JSON.stringify(reply, null, 2));
        console.log(`exported ${reply.verdicts} verdict${reply.verdicts === 1 ? '' : 's'} to ${reply.file}`);
      },
    );
}
