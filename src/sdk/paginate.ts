import type { ListOptions, Page } from './types.js';

/**
 * Iterates over every item of a paginated list call, fetching pages as it goes.
 *
 * @example
 * for await (const job of listAll((q) => client.trainingJobs.list({ ...q, status: 'Completed' }))) {
 *   console.log(job.name);
 * }
 */
export async function* listAll<T>(
  listPage: (query: Pick<ListOptions, 'nextToken'>) => Promise<Page<T>>,
): AsyncGenerator<T> {
  let nextToken: string | undefined;
  do {
    const page = await listPage(nextToken === undefined ? {} : { nextToken });
    yield* page.items;
    nextToken = page.nextToken;
  } while (nextToken);
}
