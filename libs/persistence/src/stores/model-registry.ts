import { DataSource } from 'typeorm';
import { ModelVersionEntity } from '../entities/model-version.entity';

/** Which model versions exist and which one should serve (the newest active). */
export class ModelRegistry {
  constructor(private readonly dataSource: DataSource) {}

  async register(modelVersion: string, location: string, registeredAtMs = Date.now()): Promise<void> {
    await this.dataSource.getRepository(ModelVersionEntity).upsert({ modelVersion, location, status: 'active', registeredAtMs }, ['modelVersion']);
  }

  async retire(modelVersion: string): Promise<void> {
    await this.dataSource.getRepository(ModelVersionEntity).update({ modelVersion }, { status: 'retired' });
  }

  async current(): Promise<ModelVersionEntity | null> {
    return this.dataSource.getRepository(ModelVersionEntity).findOne({ where: { status: 'active' }, order: { registeredAtMs: 'DESC', modelVersion: 'DESC' } });
  }
}
