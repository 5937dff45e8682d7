export interface WorkOrder { id: string }
