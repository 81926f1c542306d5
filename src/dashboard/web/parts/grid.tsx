/**
 * Fluent UI's DataGrid over rows the server already filtered, sorted and paged: the header shows and
 * changes the server's sort (the grid itself keeps the server's order), optional row selection.
 */
import {
  DataGrid, DataGridBody, DataGridCell, DataGridHeader, DataGridHeaderCell, DataGridRow, createTableColumn,
  type TableColumnDefinition, type TableColumnId, type TableRowId,
} from '@fluentui/react-components';
import type { ReactNode } from 'react';

export interface GridColumn<R> {
  id: string;
  label: string;
  render: (row: R) => ReactNode;
  /** The server's sort field for this column; absent: not sortable. */
  sort?: string;
}

export interface Sort {
  field: string;
  dir: 'asc' | 'desc';
}

/** Parses `field:dir` from the URL. */
export function parseSort(value: string | null, fallback: Sort): Sort {
  if (!value) return fallback;
  const [field, dir] = value.split(':');
  return field && (dir === 'asc' || dir === 'desc') ? { field, dir } : fallback;
}

export function ServerGrid<R>(props: {
  rows: readonly R[];
  columns: ReadonlyArray<GridColumn<R>>;
  rowId: (row: R) => string;
  sort: Sort;
  onSort: (sort: Sort) => void;
  onOpen?: (row: R) => void;
  selected?: ReadonlySet<string>;
  onSelect?: (ids: Set<string>) => void;
  label: string;
}) {
  // Fluent treats a column as sortable when its compare function takes arguments (compare.length > 0);
  // the server sorts, so the grid's compare keeps the order it was given.
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- Fluent needs the two parameters (compare.length) to offer sorting
  const keep = (_a: R, _b: R): number => 0;
  const columns: Array<TableColumnDefinition<R>> = props.columns.map((c) =>
    createTableColumn<R>({ columnId: c.id, renderHeaderCell: () => c.label, renderCell: c.render, ...(c.sort ? { compare: keep } : {}) }),
  );
  const sortColumn = props.columns.find((c) => c.sort === props.sort.field)?.id;
  const onSort = (_e: unknown, d: { sortColumn: TableColumnId | undefined; sortDirection: 'ascending' | 'descending' }) => {
    const col = props.columns.find((c) => c.id === d.sortColumn);
    if (col?.sort) props.onSort({ field: col.sort, dir: d.sortDirection === 'ascending' ? 'asc' : 'desc' });
  };
  const byId = new Map(props.rows.map((r) => [props.rowId(r), r]));
  return (
    <DataGrid
      items={[...props.rows]}
      columns={columns}
      getRowId={props.rowId}
      sortable
      sortState={{ sortColumn, sortDirection: props.sort.dir === 'asc' ? 'ascending' : 'descending' }}
      onSortChange={onSort}
      selectionMode={props.onSelect ? 'multiselect' : undefined}
      selectedItems={props.selected ? [...props.selected] : undefined}
      onSelectionChange={(_e, d) => props.onSelect?.(new Set([...d.selectedItems].map((id: TableRowId) => String(id))))}
      aria-label={props.label}
      resizableColumns={false}
      data-testid="grid"
    >
      <DataGridHeader>
        <DataGridRow selectionCell={props.onSelect ? { checkboxIndicator: { 'aria-label': 'Select all rows' } } : undefined}>
          {({ renderHeaderCell, columnId }) => <DataGridHeaderCell data-column={String(columnId)}>{renderHeaderCell()}</DataGridHeaderCell>}
        </DataGridRow>
      </DataGridHeader>
      <DataGridBody<R>>
        {({ item, rowId }) => (
          <DataGridRow<R>
            key={rowId}
            data-row={String(rowId)}
            selectionCell={props.onSelect ? { checkboxIndicator: { 'aria-label': 'Select row' } } : undefined}
            onDoubleClick={() => {
              const row = byId.get(String(rowId));
              if (row && props.onOpen) props.onOpen(row);
            }}
          >
            {({ renderCell }) => <DataGridCell>{renderCell(item)}</DataGridCell>}
          </DataGridRow>
        )}
      </DataGridBody>
    </DataGrid>
  );
}
