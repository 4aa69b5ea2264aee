import { listAll } from '../paginate.js';
import { pathOf, type Transport } from '../transport.js';
import type { ListOptions, Page } from '../types.js';

/**
 * The create/list/get/delete calls every named resource shares.
 * @typeParam T - the resource, as `get` returns it
 * @typeParam C - the create request
 * @typeParam S - a list item
 * @typeParam Q - the list filters
 */
export class NamedResourceApi<T, C, S = T, Q extends ListOptions = ListOptions> {
  constructor(
    readonly transport: Transport,
    protected readonly base: string,
  ) {}

  create(request: C): Promise<T> {
    return this.transport.json({ method: 'POST', path: this.base, body: request });
  }

  /** One page; pass its `nextToken` back for the next one. */
  list(query: Q | ListOptions = {}): Promise<Page<S>> {
    return this.transport.json({ path: this.base, query });
  }

  /** Every item matching the filters, page after page. */
  listAll(query: Omit<Q, 'nextToken'> | Omit<ListOptions, 'nextToken'> = {}): AsyncGenerator<S> {
    return listAll((q) => this.list({ ...query, ...q }));
  }

  get(name: string): Promise<T> {
    return this.transport.json({ path: pathOf(this.base, name) });
  }

  async delete(name: string): Promise<void> {
    await this.transport.json({ method: 'DELETE', path: pathOf(this.base, name) });
  }
}
