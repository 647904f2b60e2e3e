// One entry point for every output format.
import type { DiffReport } from '../model/change.js';
import { colorizer } from './colorizer.js';
import { renderJson } from './json.js';
import { renderMarkdown } from './markdown.js';
import { renderText } from './text.js';
import { renderUnified } from './unified.js';

export type Format = 'text' | 'json' | 'markdown' | 'unified';

export interface RenderOptions {
  color: boolean;
  verbose: boolean;
  grouped: boolean;
}

export function render(report: DiffReport, format: Format, opts: RenderOptions): string {
  switch (format) {
    case 'json':
      return renderJson(report);
    case 'markdown':
      return renderMarkdown(report);
    case 'unified':
      return renderUnified(report);
    case 'text':
      return renderText(report, { color: colorizer(opts.color), verbose: opts.verbose, grouped: opts.grouped });
  }
}
