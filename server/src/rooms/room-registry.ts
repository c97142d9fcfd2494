/**
 * The rooms of this server, by name. Admission is decided here and in the SessionManager (filter capacity),
 * always before any media is negotiated: a refused newcomer changes nothing for the people in the call.
 */
import { ROOM_SLOTS } from '@deepphoto/shared';
import { DeepPhotoError } from '../core/errors.ts';
import { Room, type RoomOptions } from './room.ts';

export class RoomRegistry {
  private readonly rooms = new Map<string, Room>();
  private readonly options: RoomOptions;

  constructor(options: Partial<RoomOptions> = {}) {
    this.options = { slots: ROOM_SLOTS, ...options };
  }

  get(name: string): Room | undefined {
    return this.rooms.get(name);
  }

  /** Total participants in all rooms. */
  get participantCount(): number {
    let n = 0;
    for (const room of this.rooms.values()) n += room.size;
    return n;
  }

  /** Names of the rooms with someone in (or joining) them. */
  names(): string[] {
    return [...this.rooms.keys()];
  }

  get roomCount(): number {
    return this.rooms.size;
  }

  /** Reserves a place in the room (creating it), or throws `busy` saying that the room is full. */
  reserve(name: string): Room {
    let room = this.rooms.get(name);
    if (!room) {
      room = new Room(name, this.options);
      this.rooms.set(name, room);
    }
    if (!room.reserve()) {
      throw new DeepPhotoError('busy', `room "${name}" is full: it holds at most ${room.capacity} participants`);
    }
    return room;
  }

  /** Forgets the room once nobody is in it or joining it. */
  collect(room: Room): void {
    if (room.empty && this.rooms.get(room.name) === room) this.rooms.delete(room.name);
  }
}
