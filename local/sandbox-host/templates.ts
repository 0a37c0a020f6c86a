import { readFileSync } from "node:fs";

export interface Template {
  id: string;
  cpuCount: number;
  memoryMB: number;
  diskSizeMB: number;
  /** Cap on processes and threads alive at once inside one sandbox. */
  maxProcesses: number;
  /** Whether the code interpreter (port 49999) runs in this template, as in E2B's templates. */
  codeInterpreter: boolean;
  aliases: string[];
}

export type Templates = ReadonlyMap<string, Template>;

export const defaultTemplatesFile = new URL("./templates.json", import.meta.url);

/** Reads the template file: an object of template id to its size and abilities. */
export function loadTemplates(file: string | URL = defaultTemplatesFile): Templates {
  const raw = JSON.parse(readFileSync(file, "utf8")) as Record<string, Omit<Template, "id">>;
  const templates = new Map<string, Template>();
  for (const [id, spec] of Object.entries(raw)) {
    for (const field of ["cpuCount", "memoryMB", "diskSizeMB", "maxProcesses"] as const) {
      if (!Number.isInteger(spec[field]) || spec[field] <= 0) {
        throw new Error(`template ${id}: ${field} must be a positive integer`);
      }
    }
    const template: Template = { ...spec, id, aliases: spec.aliases ?? [] };
    templates.set(id, template);
    for (const alias of template.aliases) templates.set(alias, template);
  }
  return templates;
}
