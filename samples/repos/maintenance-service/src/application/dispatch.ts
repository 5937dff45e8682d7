import { WorkOrder } from '../domain/work-order';
