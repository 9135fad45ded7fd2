/** A page of a list, and the opaque cursor of the next page (absent on the last). */
export interface Page<T> {
  readonly items: T[];
  readonly cursor?: string;
}
