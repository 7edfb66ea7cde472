import { existsSync, readdirSync } from 'node:fs';
import { readRegularFile } from '@nextnets/core-layers/node';
import { basename, extname, join } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { ZodError } from 'zod';
import { CliError } from '../cli/errors.js';
import { packageRoot } from '../package-root.js';
import { recipeSchema, type Recipe } from './schema.js';

/** Folder holding the built-in recipes (`apps/cli/recipes`, shipped in the npm package). */
export function builtinRecipesDir(): string {
  return join(packageRoot(), 'recipes');
}

/** Names of the built-in recipes (file names without `.yaml`), sorted. */
export function listBuiltinRecipes(): string[] {
  return readdirSync(builtinRecipesDir())
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => basename(f, '.yaml'))
    .sort();
}

/** Resolves `--recipe`: an existing file path, or the name of a built-in recipe. */
export function resolveRecipePath(fileOrName: string): string {
  if (existsSync(fileOrName)) return fileOrName;
  const looksLikePath = fileOrName.includes('/') || ['.yaml', '.yml'].includes(extname(fileOrName));
  if (!looksLikePath) {
    const builtin = join(builtinRecipesDir(), `${fileOrName}.yaml`);
    if (existsSync(builtin)) return builtin;
    throw new CliError(`unknown recipe '${fileOrName}': not a file and not a built-in recipe (${listBuiltinRecipes().join(', ')})`);
  }
  throw new CliError(`recipe file not found: ${fileOrName}`);
}

/** One line for the first problem zod found, naming the key path and the file. */
export function formatRecipeError(error: ZodError, source: string): string {
  const issue = error.issues[0];
  const at = issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    const key = [...issue.path, issue.keys[0]].join('.');
    return `${source}: unknown key '${key}' in recipe`;
  }
  return `${source}: invalid value for '${at || '(root)'}': ${issue.message}`;
}

/** Validates a parsed YAML/JSON value as a recipe (defaults filled in); errors are one line naming the key and source. */
export function validateRecipe(value: unknown, source: string): Recipe {
  const result = recipeSchema.safeParse(value ?? {});
  if (!result.success) throw new CliError(formatRecipeError(result.error, source));
  const { progressive, data } = result.data;
  if (progressive && progressive.ibase > data.imageSize) {
    throw new CliError(
      `${source}: progressive.ibase ${progressive.ibase} is larger than data.imageSize ${data.imageSize} (the final train size); progressive learning only grows images — lower progressive.ibase or raise --image-size`,
    );
  }
  checkSplits(result.data, source);
  return result.data;
}

/**
 * Facts the schema cannot see key by key: the synthetic set split by valFraction must leave both splits non-empty
 * (an empty evaluation set would report top-1 NaN%).
 */
function checkSplits(recipe: Recipe, source: string): void {
  const { dataset, valFraction, syntheticCount } = recipe.data;
  if (dataset !== 'synthetic') return;
  const val = Math.round(valFraction * syntheticCount);
  if (val === 0 || val === syntheticCount) {
    throw new CliError(
      `${source}: data.valFraction ${valFraction} of data.syntheticCount ${syntheticCount} leaves the ${val === 0 ? 'evaluation' : 'training'} split empty`,
    );
  }
}

/** Reads and validates a recipe file or built-in recipe name. */
export function loadRecipe(fileOrName: string): { recipe: Recipe; path: string } {
  const path = resolveRecipePath(fileOrName);
  let text: string;
  try {
    text = new TextDecoder().decode(readRegularFile(path, 16 * 1024 ** 2));
  } catch (error) {
    throw new CliError(`cannot read recipe ${path}: ${(error as Error).message.split('\n')[0]}`);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    const detail = error instanceof YAMLParseError ? error.message.split('\n')[0] : String(error);
    throw new CliError(`${path}: not valid YAML (${detail})`);
  }
  return { recipe: validateRecipe(value, path), path };
}
